/**
 * Flights (stream 5) in the batch service: query-API routes over the tables the processor writes
 * (streams/flights/schema.cql). No jobs: the processor keeps every figure current.
 */
import type { FlightsTables } from './schema.ts';
import { TypedTables } from '../../batch/rows.ts';
import { route, type BatchStream, type StreamContext } from '../../batch/stream.ts';
import { TablesPresent } from '../../batch/tables-present.ts';
import {
  AIRLINES_QUERY,
  AIRPORTS_QUERY,
  ROUTES_QUERY,
  airlinesAnswer,
  airportsAnswer,
  parseDayParams,
  parseRoutesParams,
  routesAnswer,
} from './api.ts';

/** Every table of FlightsTables, by name: the compiler keeps the two lists the same. */
const FLIGHTS_TABLES: Record<keyof FlightsTables, true> = { airline_days: true, route_days: true };

const AIRLINE_COLUMNS = [
  'airline',
  'flights',
  'cancelled',
  'diverted',
  'completed',
  'on_time',
  'on_time_share',
  'departure_delay_mean',
  'departure_delay_median',
  'departure_delay_p90',
  'arrival_delay_mean',
  'arrival_delay_median',
  'arrival_delay_p90',
  'final',
] as const;
const ROUTE_COLUMNS = [
  'origin',
  'destination',
  'airline',
  'flights',
  'completed',
  'arrival_delay_sum',
  'final',
] as const;

function flightsRoutes(context: StreamContext) {
  const tables = new TypedTables<FlightsTables>(context.store, context.keyspace);
  const written = new TablesPresent('flights', Object.keys(FLIGHTS_TABLES), context);
  // A day's route parts are one partition of some thousands of rows: read whole, summed here.
  const parts = (day: Date) => tables.select('route_days', ROUTE_COLUMNS, 'WHERE day = ?', [day]);
  return [
    route({
      path: '/flights/airlines',
      query: AIRLINES_QUERY,
      summary:
        'every airline’s figures for a UTC day of scheduled departure (`day`: YYYY-MM-DD or a time in it; default today)',
      parse: ({ query }) => parseDayParams(query),
      read: ({ day }) =>
        written.read(async () =>
          airlinesAnswer(day, await tables.select('airline_days', AIRLINE_COLUMNS, 'WHERE day = ?', [day])),
        ),
    }),
    route({
      path: '/flights/routes',
      query: ROUTES_QUERY,
      summary:
        'a day’s busiest routes (all airlines): flights and mean arrival delay, `limit` of them (default 50)',
      parse: ({ query }) => parseRoutesParams(query),
      read: ({ day, limit }) => written.read(async () => routesAnswer(day, await parts(day), limit)),
    }),
    route({
      path: '/flights/airports',
      query: AIRPORTS_QUERY,
      summary: 'a day’s airports with their coordinates, departures and arrivals (the map)',
      parse: ({ query }) => parseDayParams(query),
      read: ({ day }) => written.read(async () => airportsAnswer(day, await parts(day))),
    }),
  ];
}

export const flightsStream: BatchStream = {
  name: 'flights',
  routes: flightsRoutes,
};
