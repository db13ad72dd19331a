import { COMMUNITY_EVENTS_TOPIC } from '../streams/community/schema.ts';
import { FLIGHTS_RECORDS_TOPIC } from '../streams/flights/schema.ts';
import { DRONE_REPORTS_TOPIC } from '../streams/harmony/schema.ts';
import { TRAFFIC_BUSINESSES_TOPIC, TRAFFIC_PAGEVIEWS_TOPIC } from '../streams/traffic/schema.ts';
import { MARKET_BARS_TOPIC } from '../streams/markets/schema.ts';
import { DEFAULT_FLIGHTS_PER_DAY, flightRecords } from '../streams/flights/records.ts';
import { communityActivity, parseMoodShift } from '../streams/community/activity.ts';
import { droneReports } from '../streams/harmony/drones.ts';
import { bars, LISTINGS } from '../streams/markets/ticks.ts';
import { POSTS_TOPIC } from '../streams/hashtags/schema.ts';
import { describeTrend, parseTrend, posts, type PostsConfig } from '../streams/hashtags/posts.ts';
import { PLACE_COUNT } from '../streams/hashtags/places.ts';
import { VOCABULARY } from '../streams/hashtags/vocabulary.ts';
import { buildCatalogue, DEFAULT_BUSINESSES } from '../streams/traffic/catalogue.ts';
import {
  describeSurgePlan,
  pageViews,
  SURGE_MULTIPLIER,
  type PageViewsConfig,
} from '../streams/traffic/pageviews.ts';

/** One Kafka message: the key chooses the partition, the value is exactly the bytes sent. */
export interface StreamEvent {
  key: string;
  value: string;
}

export interface EventTiming {
  seed: number;
  start: Date;
  intervalMs: number;
  /** How many events the run sends; undefined until stopped. Streams that plan ahead fit the plan in it. */
  count?: number | undefined;
}

/** A count-like option only one stream has, such as how many drones fly. */
export interface SizeOption {
  name: string;
  description: string;
  defaultValue: number;
  /** The smallest value accepted: 1 unless the option may be 0 (`--surges 0`). */
  min?: 0 | 1;
}

/** A text option only one stream has, such as `--trend TAG@MINUTE`. */
export interface TextOption {
  name: string;
  /** What the value looks like, for --help: `TAG@MINUTE`. */
  placeholder: string;
  description: string;
  /** Throws an OptionError with the one line the user sees when the text is wrong. */
  check(text: string): void;
}

/**
 * Data the events refer to, such as the catalogue of the businesses that page views name: sent
 * once before the stream, as fast as Kafka takes it, to its own topic. The CLI creates that topic
 * compacted (latest value per key), so every key must name one thing for good. It does not
 * depend on the seed.
 */
export interface ReferenceData {
  /** The default topic (`--reference-topic` chooses another). */
  topic: string;
  events(sizes: Record<string, number>): Iterable<StreamEvent>;
}

/** Everything the CLI needs to offer a stream as a subcommand; add a stream by adding an entry. */
export interface StreamDefinition {
  summary: string;
  defaultTopic: string;
  sizeOptions: SizeOption[];
  /** Text options, given to `events` and `describeRun` as typed (absent when not given). */
  textOptions?: TextOption[];
  /** The default rate can follow the sizes: one report per drone per minute. */
  defaultRate(sizes: Record<string, number>): string;
  events(
    timing: EventTiming,
    sizes: Record<string, number>,
    texts?: Record<string, string | undefined>,
  ): Iterator<StreamEvent>;
  /** What the events refer to, sent first unless `--no-reference-data`. */
  referenceData?: ReferenceData;
  /** Lines a person watching the run wants first (printed to stderr), such as what will happen when. */
  describeRun?(
    timing: EventTiming,
    sizes: Record<string, number>,
    texts?: Record<string, string | undefined>,
  ): string[];
}

const DEFAULT_DRONES = 100;

function* droneEvents(timing: EventTiming, sizes: Record<string, number>): Generator<StreamEvent> {
  for (const report of droneReports({ ...timing, drones: sizes['drones'] ?? DEFAULT_DRONES })) {
    yield { key: report.drone_id, value: JSON.stringify(report) };
  }
}

/** Checks `--mood-shift` at once, then hands out the events lazily. */
function communityEvents(
  timing: EventTiming,
  texts: Record<string, string | undefined>,
): Iterator<StreamEvent> {
  const shift = texts['mood-shift'];
  const moodShift = shift === undefined ? undefined : parseMoodShift(shift);
  const events = communityActivity({ ...timing, moodShift });
  return (function* () {
    for (const event of events) yield { key: event.community, value: JSON.stringify(event) };
  })();
}

function trafficConfig(timing: EventTiming, sizes: Record<string, number>): PageViewsConfig {
  return { ...timing, businesses: sizes['businesses'] ?? DEFAULT_BUSINESSES, surges: sizes['surges'] ?? 0 };
}

function* pageViewEvents(timing: EventTiming, sizes: Record<string, number>): Generator<StreamEvent> {
  for (const view of pageViews(trafficConfig(timing, sizes))) {
    yield { key: view.business_id, value: JSON.stringify(view) };
  }
}

function* catalogueEvents(businesses: number): Generator<StreamEvent> {
  for (const business of buildCatalogue(businesses)) {
    yield { key: business.business_id, value: JSON.stringify(business) };
  }
}

const DEFAULT_BAR_INTERVAL_SECONDS = 1;

/** One bar per symbol per interval: the bar times follow `--interval`, the rate only paces the sending. */
function* barEvents(timing: EventTiming, sizes: Record<string, number>): Generator<StreamEvent> {
  const barIntervalMs = (sizes['interval'] ?? DEFAULT_BAR_INTERVAL_SECONDS) * 1000;
  for (const bar of bars({ seed: timing.seed, start: timing.start, barIntervalMs })) {
    yield { key: bar.symbol, value: JSON.stringify(bar) };
  }
}

function postsConfig(timing: EventTiming, texts: Record<string, string | undefined>): PostsConfig {
  const trend = texts['trend'];
  return { ...timing, trend: trend === undefined ? undefined : parseTrend(trend) };
}

function* postEvents(timing: EventTiming, texts: Record<string, string | undefined>): Generator<StreamEvent> {
  for (const post of posts(postsConfig(timing, texts))) {
    yield { key: post.post_id, value: JSON.stringify(post) };
  }
}

function* flightEvents(timing: EventTiming): Generator<StreamEvent> {
  for (const flight of flightRecords(timing)) yield { key: flight.airline, value: JSON.stringify(flight) };
}

export const STREAMS: Record<string, StreamDefinition> = {
  drones: {
    summary:
      'Harmony: surveillance drones report the people around them, with their words and harmony scores',
    defaultTopic: DRONE_REPORTS_TOPIC,
    sizeOptions: [{ name: 'drones', description: 'number of drones', defaultValue: DEFAULT_DRONES }],
    defaultRate: (sizes) => `${sizes['drones'] ?? DEFAULT_DRONES}/min`,
    events: droneEvents,
  },
  community: {
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
  },
  traffic: {
    summary:
      'Web traffic: page views of a catalogue of businesses, Zipf-popular, with planned surges; ' +
      `the catalogue goes to ${TRAFFIC_BUSINESSES_TOPIC} first`,
    defaultTopic: TRAFFIC_PAGEVIEWS_TOPIC,
    sizeOptions: [
      {
        name: 'businesses',
        description: 'number of businesses in the catalogue',
        defaultValue: DEFAULT_BUSINESSES,
      },
      {
        name: 'surges',
        description:
          `number of businesses whose views surge ${SURGE_MULTIPLIER.min}-${SURGE_MULTIPLIER.max}x ` +
          'for 3-5 min (chosen by the seed; the plan is printed at start)',
        defaultValue: 0,
        min: 0,
      },
    ],
    defaultRate: () => '4000/s',
    events: pageViewEvents,
    referenceData: {
      topic: TRAFFIC_BUSINESSES_TOPIC,
      events: (sizes) => catalogueEvents(sizes['businesses'] ?? DEFAULT_BUSINESSES),
    },
    describeRun: (timing, sizes) => describeSurgePlan(trafficConfig(timing, sizes)),
  },
  ticks: {
    summary:
      `Markets: OHLCV bars of ${LISTINGS.length} listed symbols, one per symbol per interval, ` +
      'from a seeded random walk with volatility regimes and trends',
    defaultTopic: MARKET_BARS_TOPIC,
    sizeOptions: [
      {
        name: 'interval',
        description:
          'seconds between two bars of a symbol (bar times follow it; --rate only paces the sending, ' +
          'by default one interval of bars per interval)',
        defaultValue: DEFAULT_BAR_INTERVAL_SECONDS,
      },
    ],
    defaultRate: (sizes) =>
      `${(LISTINGS.length * 60) / (sizes['interval'] ?? DEFAULT_BAR_INTERVAL_SECONDS)}/min`,
    events: barEvents,
  },
  posts: {
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
  },
  flights: {
    summary:
      'Flights: records with the columns of the US on-time data (15 airlines, 102 airports), ' +
      'in the order of their scheduled departures, keyed by airline',
    defaultTopic: FLIGHTS_RECORDS_TOPIC,
    sizeOptions: [],
    defaultRate: () => `${DEFAULT_FLIGHTS_PER_DAY / (24 * 60)}/min`,
    events: flightEvents,
  },
};
