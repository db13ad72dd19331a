import type { EventTiming, StreamDefinition, StreamEvent } from '../../generators/streams.ts';
import { community, parseMoodShift } from './activity.ts';
import { COMMUNITY_EVENTS_TOPIC } from './schema.ts';

/** Checks `--mood-shift` at once, then hands out the events lazily. */
function communityEvents(
  timing: EventTiming,
  texts: Record<string, string | undefined>,
): Iterator<StreamEvent> {
  const shift = texts['mood-shift'];
  const moodShift = shift === undefined ? undefined : parseMoodShift(shift);
  const events = community({ ...timing, moodShift });
  return (function* () {
    for (const event of events) yield { key: event.community, value: JSON.stringify(event) };
  })();
}

export const communityGenerator: StreamDefinition = {
  summary:
    'Community activity: members of a few dozen communities log in, post, like, share and comment, ' +
    'with texts in known moods',
  defaultTopic: COMMUNITY_EVENTS_TOPIC,
  sizeOptions: [],
  defaultRate: () => '50/s',
  events: (timing, _sizes, texts = {}) => communityEvents(timing, texts),
  textOptions: [
    {
      name: 'mood-shift',
      placeholder: 'COMMUNITY:EMOTION@MINUTE',
      description:
        "from MINUTE of the run's event time on, COMMUNITY's posts and comments are all of EMOTION " +
        '(joy, trust, anger, sadness, fear, surprise or neutral), e.g. chess:anger@2',
      check: (text) => {
        parseMoodShift(text);
      },
    },
  ],
};
