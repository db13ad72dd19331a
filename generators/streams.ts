import { DRONE_REPORTS_TOPIC } from '../schemas/harmony.ts';
import { TRAFFIC_BUSINESSES_TOPIC, TRAFFIC_PAGEVIEWS_TOPIC } from '../schemas/traffic.ts';
import { droneReports } from './harmony/drones.ts';
import { buildCatalogue, DEFAULT_BUSINESSES } from './traffic/catalogue.ts';
import { describeSurgePlan, pageViews, SURGE_MULTIPLIER, type PageViewsConfig } from './traffic/pageviews.ts';

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
  /** The default rate can follow the sizes: one report per drone per minute. */
  defaultRate(sizes: Record<string, number>): string;
  events(timing: EventTiming, sizes: Record<string, number>): Iterator<StreamEvent>;
  /** What the events refer to, sent first unless `--no-reference-data`. */
  referenceData?: ReferenceData;
  /** Lines a person watching the run wants first (printed to stderr), such as what will happen when. */
  describeRun?(timing: EventTiming, sizes: Record<string, number>): string[];
}

const DEFAULT_DRONES = 100;

function* droneEvents(timing: EventTiming, sizes: Record<string, number>): Generator<StreamEvent> {
  for (const report of droneReports({ ...timing, drones: sizes['drones'] ?? DEFAULT_DRONES })) {
    yield { key: report.drone_id, value: JSON.stringify(report) };
  }
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

export const STREAMS: Record<string, StreamDefinition> = {
  drones: {
    summary:
      'Harmony: surveillance drones report the people around them, with their words and harmony scores',
    defaultTopic: DRONE_REPORTS_TOPIC,
    sizeOptions: [{ name: 'drones', description: 'number of drones', defaultValue: DEFAULT_DRONES }],
    defaultRate: (sizes) => `${sizes['drones'] ?? DEFAULT_DRONES}/min`,
    events: droneEvents,
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
};
