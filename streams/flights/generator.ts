import type { EventTiming, StreamDefinition, StreamEvent } from '../../generators/streams.ts';
import { DEFAULT_FLIGHTS_PER_DAY, flightRecords } from './records.ts';
import { FLIGHTS_RECORDS_TOPIC } from './schema.ts';

function* flightEvents(timing: EventTiming): Generator<StreamEvent> {
  for (const flight of flightRecords(timing)) yield { key: flight.airline, value: JSON.stringify(flight) };
}

export const flightsGenerator: StreamDefinition = {
  summary:
    'Flights: records with the columns of the US on-time data (15 airlines, 102 airports), ' +
    'in the order of their scheduled departures, keyed by airline',
  defaultTopic: FLIGHTS_RECORDS_TOPIC,
  sizeOptions: [],
  defaultRate: () => `${DEFAULT_FLIGHTS_PER_DAY / (24 * 60)}/min`,
  events: flightEvents,
};
