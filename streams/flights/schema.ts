import { fileURLToPath } from 'node:url';
/**
 * Flights (stream 5): the flight records, topics, definitions and typed table rows shared by the
 * generator, the processor's topology and the query API. A record has the columns of the US
 * Bureau of Transportation Statistics' on-time data; times are UTC and whole minutes.
 */
import { fail, ok, type Result } from '../../common/result.ts';
import { DAY_MS, MINUTE_MS, bucketStart } from '../../common/time.ts';
import {
  all,
  decodeObject,
  DEFAULT_EVENT_TIME_RANGE,
  integer,
  isoTime,
  oneOf,
  text,
  type EventTimeRange,
  type Json,
} from '../../common/decode.ts';
import { AIRLINE_CODES, AIRPORTS_BY_CODE } from './network.ts';

export const FLIGHTS_RECORDS_TOPIC = 'flights.records';
export const FLIGHTS_KEYSPACE = 'flights';

/** The definitions of the daily figures; README "Flights" documents each. */
export const FLIGHTS = {
  /** A completed flight (neither cancelled nor diverted) is on time when it arrives at most this late. */
  onTimeMaxArrivalDelayMinutes: 15,
  /** The percentile reported beside the median. */
  percentile: 0.9,
  /** The alert: an airline's on-time share today below this, */
  alertOnTimeShare: 0.6,
  /** with at least this many flights today. */
  alertMinFlights: 50,
  /**
   * The most flights an airline's day may hold: its delays are state (and one changelog record,
   * which must fit in a Kafka message). The busiest US airline-day is about 4,500 flights.
   */
  maxFlightsPerAirlineDay: 40_000,
} as const;

/** BTS cancellation codes: A carrier, B weather, C national air system, D security. */
export const CANCELLATION_REASONS = ['A', 'B', 'C', 'D'] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

/** One flight, as the on-time data has it. Delays and durations in minutes, distance in miles. */
export interface FlightRecord {
  /** The UTC date of the scheduled departure, YYYY-MM-DD: the day the flight counts in. */
  date: string;
  airline: string;
  flight_number: number;
  tail_number: string | null;
  origin_airport: string;
  destination_airport: string;
  scheduled_departure: string;
  departure_time: string | null;
  departure_delay: number | null;
  taxi_out: number | null;
  wheels_off: string | null;
  scheduled_time: number;
  elapsed_time: number | null;
  air_time: number | null;
  distance: number;
  wheels_on: string | null;
  taxi_in: number | null;
  scheduled_arrival: string;
  arrival_time: string | null;
  arrival_delay: number | null;
  diverted: boolean;
  cancelled: boolean;
  cancellation_reason: CancellationReason | null;
}

/** What a flight contributes to its day: the parts of a record the figures are computed from. */
export interface FlightFacts {
  airline: string;
  origin: string;
  destination: string;
  /** Epoch ms of the UTC day of the scheduled departure. */
  day: number;
  cancelled: boolean;
  diverted: boolean;
  /** Both set exactly when the flight completed (neither cancelled nor diverted). */
  departureDelay: number | null;
  arrivalDelay: number | null;
}

export function flightFacts(flight: FlightRecord): FlightFacts {
  const completed = !flight.cancelled && !flight.diverted;
  return {
    airline: flight.airline,
    origin: flight.origin_airport,
    destination: flight.destination_airport,
    day: bucketStart(Date.parse(flight.scheduled_departure), DAY_MS),
    cancelled: flight.cancelled,
    diverted: flight.diverted,
    departureDelay: completed ? flight.departure_delay : null,
    arrivalDelay: completed ? flight.arrival_delay : null,
  };
}

export const MAX_FLIGHT_BYTES = 4 * 1024;
const MAX_TAIL_CHARS = 16;
const MAX_MINUTES = 48 * 60;
const MAX_DELAY_MINUTES = 48 * 60;
const MAX_DISTANCE_MILES = 6000;

const minutesBetween = (from: number, to: number) => (to - from) / MINUTE_MS;

function nullable<T>(json: Json, field: string, check: () => Result<T>): Result<T | null> {
  if (!(field in json)) return fail(`missing field ${field}`);
  return json[field] === null ? ok(null) : check();
}

function boolean(json: Json, field: string): Result<boolean> {
  const value = json[field];
  return typeof value === 'boolean' ? ok(value) : fail(`invalid field ${field}: expected true or false`);
}

/** A time of the record: ISO 8601 in whole minutes, within the accepted event times. */
function minuteTime(json: Json, field: string, range: EventTimeRange): Result<{ text: string; ms: number }> {
  const time = isoTime(json, field, range);
  if (!time.ok) return time;
  if (time.value.ms % MINUTE_MS !== 0) return fail(`invalid field ${field}: not a whole minute`);
  return time;
}

/** Checks that `field` equals `expected`: the columns of a record must tell one story. */
function agrees(field: string, value: number | null, expected: number): Result<true> {
  return value === expected
    ? ok(true)
    : fail(`inconsistent ${field}: ${value} where the times give ${expected}`);
}

/**
 * A flight record, checked field by field and for consistency: known airline and airports, the
 * date that of the scheduled departure, every duration and delay what its times give, and the
 * fields of a cancelled or diverted flight null where such a flight has none. The reason names
 * the first thing wrong, for a dead letter.
 */
export function parseFlight(
  bytes: Buffer | string | null,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Result<FlightRecord> {
  const decoded = decodeObject(bytes, MAX_FLIGHT_BYTES);
  if (!decoded.ok) return decoded;
  const json = decoded.value;
  // Actual times may lie past the accepted range's end by a flight's length; only the scheduled
  // departure, the event time, is held to the range.
  const anyTime: EventTimeRange = {
    earliestMs: eventTimes.earliestMs,
    latestMs: eventTimes.latestMs + 2 * DAY_MS,
  };
  const minutes = (field: string, min: number, max: number) =>
    nullable(json, field, () => integer(json, field, min, max));
  const time = (field: string) => nullable(json, field, () => minuteTime(json, field, anyTime));
  const fields = all({
    date: text(json, 'date', 10),
    airline: text(json, 'airline', 3),
    flight_number: integer(json, 'flight_number', 1, 9999),
    tail_number: nullable(json, 'tail_number', () => text(json, 'tail_number', MAX_TAIL_CHARS)),
    origin_airport: text(json, 'origin_airport', 3),
    destination_airport: text(json, 'destination_airport', 3),
    scheduled_departure: minuteTime(json, 'scheduled_departure', eventTimes),
    departure_time: time('departure_time'),
    departure_delay: minutes('departure_delay', -MAX_DELAY_MINUTES, MAX_DELAY_MINUTES),
    taxi_out: minutes('taxi_out', 0, MAX_MINUTES),
    wheels_off: time('wheels_off'),
    scheduled_time: integer(json, 'scheduled_time', 1, MAX_MINUTES),
    elapsed_time: minutes('elapsed_time', 1, MAX_MINUTES),
    air_time: minutes('air_time', 1, MAX_MINUTES),
    distance: integer(json, 'distance', 1, MAX_DISTANCE_MILES),
    wheels_on: time('wheels_on'),
    taxi_in: minutes('taxi_in', 0, MAX_MINUTES),
    scheduled_arrival: minuteTime(json, 'scheduled_arrival', anyTime),
    arrival_time: time('arrival_time'),
    arrival_delay: minutes('arrival_delay', -MAX_DELAY_MINUTES, MAX_DELAY_MINUTES),
    diverted: boolean(json, 'diverted'),
    cancelled: boolean(json, 'cancelled'),
    cancellation_reason: nullable(json, 'cancellation_reason', () =>
      oneOf(json, 'cancellation_reason', CANCELLATION_REASONS),
    ),
  });
  if (!fields.ok) return fields;
  const f = fields.value;
  if (!AIRLINE_CODES.has(f.airline)) return fail(`unknown airline ${f.airline}`);
  for (const field of ['origin_airport', 'destination_airport'] as const) {
    if (!AIRPORTS_BY_CODE.has(f[field])) return fail(`unknown airport in ${field}: ${f[field]}`);
  }
  if (f.origin_airport === f.destination_airport)
    return fail('origin_airport and destination_airport are the same');
  const scheduledDeparture = f.scheduled_departure.ms;
  const day = new Date(bucketStart(scheduledDeparture, DAY_MS)).toISOString().slice(0, 10);
  if (f.date !== day) return fail(`inconsistent date: ${f.date} where scheduled_departure gives ${day}`);
  const consistent = checkTimes(f, scheduledDeparture);
  if (!consistent.ok) return consistent;
  const text_ = (value: { text: string } | null) => (value === null ? null : value.text);
  return ok({
    ...f,
    scheduled_departure: f.scheduled_departure.text,
    departure_time: text_(f.departure_time),
    wheels_off: text_(f.wheels_off),
    wheels_on: text_(f.wheels_on),
    scheduled_arrival: f.scheduled_arrival.text,
    arrival_time: text_(f.arrival_time),
  });
}

type Ms = { ms: number } | null;
interface Parsed {
  departure_time: Ms;
  departure_delay: number | null;
  taxi_out: number | null;
  wheels_off: Ms;
  scheduled_time: number;
  elapsed_time: number | null;
  air_time: number | null;
  wheels_on: Ms;
  taxi_in: number | null;
  scheduled_arrival: { ms: number };
  arrival_time: Ms;
  arrival_delay: number | null;
  diverted: boolean;
  cancelled: boolean;
  cancellation_reason: CancellationReason | null;
}

const DEPARTURE_FIELDS = ['departure_time', 'departure_delay', 'taxi_out', 'wheels_off'] as const;
const ARRIVAL_FIELDS = [
  'wheels_on',
  'taxi_in',
  'arrival_time',
  'arrival_delay',
  'elapsed_time',
  'air_time',
] as const;

function nullWhere(f: Parsed, fields: readonly (keyof Parsed)[], what: string): Result<true> {
  const set = fields.find((field) => f[field] !== null);
  return set === undefined ? ok(true) : fail(`inconsistent ${set}: set for a ${what} flight`);
}

function presentWhere(f: Parsed, fields: readonly (keyof Parsed)[], what: string): Result<true> {
  const missing = fields.find((field) => f[field] === null);
  return missing === undefined ? ok(true) : fail(`inconsistent ${missing}: null for a ${what} flight`);
}

function checkTimes(f: Parsed, scheduledDeparture: number): Result<true> {
  const checks: (() => Result<true>)[] = [
    () =>
      agrees('scheduled_time', f.scheduled_time, minutesBetween(scheduledDeparture, f.scheduled_arrival.ms)),
  ];
  if (f.cancelled) {
    if (f.diverted) return fail('inconsistent diverted: a cancelled flight cannot be diverted');
    if (f.cancellation_reason === null)
      return fail('inconsistent cancellation_reason: null for a cancelled flight');
    checks.push(
      () => nullWhere(f, DEPARTURE_FIELDS, 'cancelled'),
      () => nullWhere(f, ARRIVAL_FIELDS, 'cancelled'),
    );
  } else {
    if (f.cancellation_reason !== null)
      return fail('inconsistent cancellation_reason: set for a flight not cancelled');
    checks.push(
      () => presentWhere(f, DEPARTURE_FIELDS, 'departed'),
      () =>
        agrees(
          'departure_delay',
          f.departure_delay,
          minutesBetween(scheduledDeparture, f.departure_time!.ms),
        ),
      () => agrees('taxi_out', f.taxi_out, minutesBetween(f.departure_time!.ms, f.wheels_off!.ms)),
    );
    if (f.diverted) checks.push(() => nullWhere(f, ARRIVAL_FIELDS, 'diverted'));
    else {
      checks.push(
        () => presentWhere(f, ARRIVAL_FIELDS, 'completed'),
        () => agrees('air_time', f.air_time, minutesBetween(f.wheels_off!.ms, f.wheels_on!.ms)),
        () => agrees('taxi_in', f.taxi_in, minutesBetween(f.wheels_on!.ms, f.arrival_time!.ms)),
        () =>
          agrees('elapsed_time', f.elapsed_time, minutesBetween(f.departure_time!.ms, f.arrival_time!.ms)),
        () =>
          agrees(
            'arrival_delay',
            f.arrival_delay,
            minutesBetween(f.scheduled_arrival.ms, f.arrival_time!.ms),
          ),
      );
    }
  }
  for (const check of checks) {
    const result = check();
    if (!result.ok) return result;
  }
  return ok(true);
}

/** Typed rows of streams/flights/schema.cql: the processor writes them, the query API reads them. */
export interface FlightsTables {
  /** One airline's figures for one day (UTC date of scheduled departure); partitioned by day. */
  airline_days: {
    day: Date;
    airline: string;
    flights: number;
    cancelled: number;
    diverted: number;
    /** Flights neither cancelled nor diverted: the population of the share and the delay figures. */
    completed: number;
    on_time: number;
    /** on_time / completed; null while no flight has completed. */
    on_time_share: number | null;
    departure_delay_mean: number | null;
    departure_delay_median: number | null;
    departure_delay_p90: number | null;
    arrival_delay_mean: number | null;
    arrival_delay_median: number | null;
    arrival_delay_p90: number | null;
    /** True once the day has closed plus grace: the figures no longer change. */
    final: boolean;
  };
  /**
   * One airline's part of one route's day. Records are keyed by airline, so each airline's part
   * is exact in its own partition; a route's figures are the sum of its parts (see `routeDays`).
   */
  route_days: {
    day: Date;
    origin: string;
    destination: string;
    airline: string;
    flights: number;
    completed: number;
    /** The sum of the completed flights' arrival delays (whole minutes, so sums are exact). */
    arrival_delay_sum: number;
    final: boolean;
  };
}

export type AirlineDayRow = FlightsTables['airline_days'];
export type RouteDayPart = FlightsTables['route_days'];

/** A route's figures for a day: every airline's part summed. */
export interface RouteDay {
  origin: string;
  destination: string;
  flights: number;
  completed: number;
  /** Mean arrival delay of the completed flights; null when none completed. */
  arrival_delay_mean: number | null;
  /** True once every airline's part is final. */
  final: boolean;
}

/** Sums the airlines' parts of each route; ordered by flights (descending), then route. */
export function routeDays(parts: Iterable<Omit<RouteDayPart, 'day' | 'airline'>>): RouteDay[] {
  const routes = new Map<string, RouteDay & { sum: number }>();
  for (const part of parts) {
    const key = `${part.origin}-${part.destination}`;
    const route = routes.get(key) ?? {
      origin: part.origin,
      destination: part.destination,
      flights: 0,
      completed: 0,
      arrival_delay_mean: null,
      final: true,
      sum: 0,
    };
    route.flights += part.flights;
    route.completed += part.completed;
    route.sum += part.arrival_delay_sum;
    route.final &&= part.final;
    routes.set(key, route);
  }
  return [...routes.values()]
    .map(({ sum, ...route }) => ({
      ...route,
      arrival_delay_mean: route.completed === 0 ? null : sum / route.completed,
    }))
    .sort(
      (a, b) =>
        b.flights - a.flights ||
        a.origin.localeCompare(b.origin) ||
        a.destination.localeCompare(b.destination),
    );
}

/** This stream's CQL schema: the processor applies it at start, Docker and npm start alike. */
export const SCHEMA_FILE = fileURLToPath(new URL('./schema.cql', import.meta.url));
