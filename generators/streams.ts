import { DRONE_REPORTS_TOPIC } from '../schemas/harmony.ts';
import { droneReports } from './harmony/drones.ts';

/** One Kafka message: the key chooses the partition, the value is exactly the bytes sent. */
export interface StreamEvent {
  key: string;
  value: string;
}

export interface EventTiming {
  seed: number;
  start: Date;
  intervalMs: number;
}

/** A count-like option only one stream has, such as how many drones fly. */
export interface SizeOption {
  name: string;
  description: string;
  defaultValue: number;
}

/** Everything the CLI needs to offer a stream as a subcommand; add a stream by adding an entry. */
export interface StreamDefinition {
  summary: string;
  defaultTopic: string;
  sizeOptions: SizeOption[];
  /** The default rate can follow the sizes: one report per drone per minute. */
  defaultRate(sizes: Record<string, number>): string;
  events(timing: EventTiming, sizes: Record<string, number>): Iterator<StreamEvent>;
}

const DEFAULT_DRONES = 100;

function* droneEvents(timing: EventTiming, sizes: Record<string, number>): Generator<StreamEvent> {
  for (const report of droneReports({ ...timing, drones: sizes['drones'] ?? DEFAULT_DRONES })) {
    yield { key: report.drone_id, value: JSON.stringify(report) };
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
};
