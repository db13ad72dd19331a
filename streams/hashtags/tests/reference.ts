/**
 * The hashtag and place definitions computed the plain way, straight from a list of posts: what
 * the tests hold the processor's rows and top lists against.
 */
import { MINUTE_MS, bucketStart } from '../../../common/time.ts';
import {
  compareTop,
  hashtagsIn,
  normaliseHashtag,
  placeKey,
  TOP,
  type Post,
  type TopEntry,
} from '../schema.ts';

/** What the definitions read of a post. */
export interface PostFacts {
  /** Distinct normalised hashtags. */
  hashtags: string[];
  place: string;
  time: number;
}

export function factsOf(post: Post): PostFacts {
  return {
    hashtags: [...new Set(hashtagsIn(post.text).map(normaliseHashtag))],
    place: placeKey(post.place),
    time: Date.parse(post.event_time),
  };
}

function countBy(keys: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** Posts per hashtag per minute, keyed `<hashtag>|<minute start ms>`. */
export function hashtagMinutes(posts: PostFacts[]): Map<string, number> {
  return countBy(
    (function* () {
      for (const post of posts) {
        for (const hashtag of post.hashtags) yield `${hashtag}|${bucketStart(post.time, MINUTE_MS)}`;
      }
    })(),
  );
}

/** Posts per place per minute, keyed `<country>/<city>|<minute start ms>`. */
export function placeMinutes(posts: PostFacts[]): Map<string, number> {
  return countBy(posts.map((post) => `${post.place}|${bucketStart(post.time, MINUTE_MS)}`));
}

/** Posts per hashtag with event time before `end`. */
export function totalsBefore(posts: PostFacts[], end: number): Map<string, number> {
  return countBy(posts.filter((post) => post.time < end).flatMap((post) => post.hashtags));
}

/** The top 10 at step t: posts in [t - 5 min, t), ranked. */
export function topAt(posts: PostFacts[], step: number): TopEntry[] {
  const inWindow = posts.filter((post) => post.time >= step - TOP.windowMs && post.time < step);
  const counts = countBy(inWindow.flatMap((post) => post.hashtags));
  return [...counts]
    .map(([hashtag, count]) => ({ hashtag, posts: count }))
    .sort(compareTop)
    .slice(0, TOP.topN);
}
