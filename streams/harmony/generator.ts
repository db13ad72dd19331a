import type { EventTiming, StreamDefinition, StreamEvent } from '../../generators/streams.ts';
import { droneReports } from './drones.ts';
import { DRONE_REPORTS_TOPIC } from './schema.ts';

const DEFAULT_DRONES = 100;

function* droneEvents(timing: EventTiming, sizes: Record<string, number>): Generator<StreamEvent> {
  for (const report of droneReports({ ...timing, drones: sizes['drones'] ?? DEFAULT_DRONES })) {
    yield { key: report.drone_id, value: JSON.stringify(report) };
  }
}

export const harmonyGenerator: StreamDefinition = {
  summary: 'Harmony: surveillance drones report the people around them, with their words and harmony scores',
  defaultTopic: DRONE_REPORTS_TOPIC,
  sizeOptions: [{ name: 'drones', description: 'number of drones', defaultValue: DEFAULT_DRONES }],
  defaultRate: (sizes) => `${sizes['drones'] ?? DEFAULT_DRONES}/min`,
  events: droneEvents,
};
