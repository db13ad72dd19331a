import type { EventTiming, StreamDefinition, StreamEvent } from '../../generators/streams.ts';
import { PLACE_COUNT } from './places.ts';
import { describeTrend, parseTrend, posts, type PostsConfig } from './posts.ts';
import { POSTS_TOPIC } from './schema.ts';
import { VOCABULARY } from './vocabulary.ts';

function postsConfig(timing: EventTiming, texts: Record<string, string | undefined>): PostsConfig {
  const trend = texts['trend'];
  return { ...timing, trend: trend === undefined ? undefined : parseTrend(trend) };
}

function* postEvents(timing: EventTiming, texts: Record<string, string | undefined>): Generator<StreamEvent> {
  for (const post of posts(postsConfig(timing, texts))) {
    yield { key: post.post_id, value: JSON.stringify(post) };
  }
}

export const hashtagsGenerator: StreamDefinition = {
  summary:
    `Hashtags and places: short posts with 0-5 hashtags (Zipf-popular over ${VOCABULARY.length}) ` +
    `from the ${PLACE_COUNT} most populous cities, weighted by population`,
  defaultTopic: POSTS_TOPIC,
  sizeOptions: [],
  textOptions: [
    {
      name: 'trend',
      placeholder: 'TAG@MINUTE',
      description: 'make hashtag TAG trend from MINUTE minutes after --start (e.g. eclipse@10)',
      check: (text) => {
        parseTrend(text);
      },
    },
  ],
  defaultRate: () => '500/s',
  events: (timing, _sizes, texts = {}) => postEvents(timing, texts),
  describeRun: (timing, _sizes, texts = {}) => describeTrend(postsConfig(timing, texts)),
};
