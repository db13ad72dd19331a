import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { DAY_MS, HOUR_MS } from '../../../common/time.ts';
import { flightRecords } from '../records.ts';
import { TopologyTestDriver } from '../../../processor/dsl/driver.ts';
import { createFlightsTopology } from '../topology.ts';
import {
  FLIGHTS,
  FLIGHTS_RECORDS_TOPIC,
  routeDays as sumRouteParts,
  type AirlineDayRow,
  type FlightRecord,
  type FlightsTables,
  type RouteDayPart,
} from '../schema.ts';
import { airlineDays, routeDays } from './reference.ts';

const START = new Date('2026-03-01T12:00:00Z');
const GRACE_MS = 2 * HOUR_MS;

function flights(count: number, seed = 4): FlightRecord[] {
  const records: FlightRecord[] = [];
  for (const flight of flightRecords({ seed, start: START, intervalMs: 10_000 })) {
    records.push(flight);
    if (records.length === count) break;
  }
  return records;
}

function driver() {
  return new TopologyTestDriver<FlightsTables>(createFlightsTopology(new Registry(), { graceMs: GRACE_MS }), {
    [FLIGHTS_RECORDS_TOPIC]: 1,
  });
}

type FlightsDriver = ReturnType<typeof driver>;

const piped = (records: readonly FlightRecord[]) =>
  records.map((flight) => ({ key: flight.airline, value: JSON.stringify(flight) }));

const pipe = (test: FlightsDriver, records: readonly FlightRecord[]) =>
  test.pipe(FLIGHTS_RECORDS_TOPIC, piped(records));

/** The last row written per primary key, as Cassandra keeps it. */
function latest(test: FlightsDriver) {
  const airlines = new Map<string, AirlineDayRow>();
  for (const row of test.rowsOf('airline_days')) airlines.set(`${row.day.getTime()}|${row.airline}`, row);
  const parts = new Map<string, RouteDayPart>();
  for (const part of test.rowsOf('route_days'))
    parts.set(`${part.day.getTime()}|${part.origin}|${part.destination}|${part.airline}`, part);
  return { airlines, parts };
}

function expectTheDefinitions(test: FlightsDriver, records: readonly FlightRecord[]) {
  const { airlines, parts } = latest(test);
  const expected = airlineDays(records);
  expect([...airlines.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, figures] of expected) {
    const { day, airline, final, ...stored } = airlines.get(key)!;
    expect(`${day.getTime()}|${airline}`).toBe(key);
    expect(typeof final).toBe('boolean');
    expect(stored, key).toEqual(figures);
  }
  const byDay = new Map<number, RouteDayPart[]>();
  for (const part of parts.values())
    byDay.set(part.day.getTime(), [...(byDay.get(part.day.getTime()) ?? []), part]);
  const stored = new Map<string, { flights: number; arrival_delay_mean: number | null }>();
  for (const [day, dayParts] of byDay) {
    for (const route of sumRouteParts(dayParts)) {
      stored.set(`${day}|${route.origin}|${route.destination}`, {
        flights: route.flights,
        arrival_delay_mean: route.arrival_delay_mean,
      });
    }
  }
  expect(stored).toEqual(routeDays(records));
}

describe('flights topology', () => {
  const records = flights(12_000);
  const lastDay =
    Date.parse(records.at(-1)!.scheduled_departure) -
    (Date.parse(records.at(-1)!.scheduled_departure) % DAY_MS);

  test('every airline-day and route-day follows the definitions; closed days are final and evicted', () => {
    const test = driver();
    test.pipeInBatches(FLIGHTS_RECORDS_TOPIC, piped(records), 700);
    expectTheDefinitions(test, records);
    const { airlines, parts } = latest(test);
    const days = new Set([...airlines.values()].map((row) => row.day.getTime()));
    expect(days.size).toBe(2);
    for (const row of airlines.values())
      expect(row.final, row.day.toISOString()).toBe(row.day.getTime() < lastDay);
    for (const part of parts.values()) expect(part.final).toBe(part.day.getTime() < lastDay);
    // Only the open day is held: its airline-days and route parts, and the closed-day mark.
    const open = [...airlines.values(), ...parts.values()].filter((row) => !row.final).length;
    expect(test.stateSize(FLIGHTS_RECORDS_TOPIC)).toBe(open + 1);
    expect(test.output(`${FLIGHTS_RECORDS_TOPIC}.late`)).toHaveLength(0);
    expect(test.output(`${FLIGHTS_RECORDS_TOPIC}.dlq`)).toHaveLength(0);
  });

  test('a batch writes each changed airline-day and route once, whatever its size', () => {
    const test = driver();
    const batch = records.slice(0, 3000);
    pipe(test, batch);
    const airlines = new Set(batch.map((flight) => flight.airline)).size;
    const routes = new Set(
      batch.map((flight) => `${flight.airline}${flight.origin_airport}${flight.destination_airport}`),
    ).size;
    expect(test.rowsOf('airline_days')).toHaveLength(airlines);
    expect(test.rowsOf('route_days')).toHaveLength(routes);
  });

  test('restarted from its changelog between batches, it ends with the same rows', () => {
    const test = driver();
    test.pipeInBatches(FLIGHTS_RECORDS_TOPIC, piped(records), 1500, { restartAfter: () => true });
    expectTheDefinitions(test, records);
  });

  test('a flight of a day closed plus grace is late; one of a day still in its grace counts', () => {
    const test = driver();
    const firstDay = records.filter((flight) => flight.date === records[0]!.date);
    const nextDay = records.slice(firstDay.length);
    const inGrace = nextDay.findIndex(
      (flight) => Date.parse(flight.scheduled_departure) % DAY_MS >= GRACE_MS / 2,
    );
    pipe(test, [...firstDay.slice(0, -2), ...nextDay.slice(0, inGrace)]);
    // Still within the grace: counted.
    pipe(test, [firstDay.at(-2)!]);
    pipe(test, nextDay.slice(inGrace, inGrace + 2000));
    pipe(test, [firstDay.at(-1)!]);
    const late = test.output(`${FLIGHTS_RECORDS_TOPIC}.late`);
    expect(late).toHaveLength(1);
    expect(JSON.parse(late[0]!.value!).reason).toMatch(
      /^late: event time .* closed at .* plus a grace of 7200 s$/,
    );
    expectTheDefinitions(test, [...firstDay.slice(0, -1), ...nextDay.slice(0, inGrace + 2000)]);
  });

  test('invalid records go to the dead-letter topic with their reason, and change nothing', () => {
    const test = driver();
    const flight = records.find((candidate) => !candidate.cancelled && !candidate.diverted)!;
    const missing: Partial<FlightRecord> = { ...flight };
    delete missing.taxi_in;
    const bad: [unknown, RegExp][] = [
      [{ ...flight, airline: 'ZZ' }, /^unknown airline ZZ$/],
      [{ ...flight, destination_airport: 'XXX' }, /^unknown airport in destination_airport: XXX$/],
      [{ ...flight, destination_airport: flight.origin_airport }, /are the same$/],
      [missing, /^missing field taxi_in$/],
      [{ ...flight, arrival_delay: flight.arrival_delay! + 1 }, /^inconsistent arrival_delay: /],
      [{ ...flight, date: '2026-02-27' }, /^inconsistent date: /],
      [
        { ...flight, cancelled: true, cancellation_reason: 'B' },
        /^inconsistent departure_time: set for a cancelled flight$/,
      ],
      [
        { ...flight, scheduled_departure: '2026-03-01T12:00:30Z' },
        /^invalid field scheduled_departure: not a whole minute$/,
      ],
    ];
    test.pipe(
      FLIGHTS_RECORDS_TOPIC,
      bad.map(([value]) => ({ key: 'x', value: JSON.stringify(value) })),
    );
    const letters = test.output(`${FLIGHTS_RECORDS_TOPIC}.dlq`).map((letter) => JSON.parse(letter.value!));
    expect(letters).toHaveLength(bad.length);
    letters.forEach((letter, index) => expect(letter.reason).toMatch(bad[index]![1]));
    expect(test.rows).toHaveLength(0);
  });

  test('an airline-day full to its bound turns further flights into dead letters, counting none of them', () => {
    const test = driver();
    const flight = records[0]!;
    const full = FLIGHTS.maxFlightsPerAirlineDay;
    test.pipe(
      FLIGHTS_RECORDS_TOPIC,
      Array.from({ length: full + 2 }, () => ({ key: flight.airline, value: JSON.stringify(flight) })),
    );
    const letters = test.output(`${FLIGHTS_RECORDS_TOPIC}.dlq`).map((letter) => JSON.parse(letter.value!));
    expect(letters).toHaveLength(2);
    expect(letters[0].reason).toBe(
      `processing failed: ${flight.airline} already has ${full} flights on ${flight.date}, the most a day holds`,
    );
    const { airlines } = latest(test);
    expect([...airlines.values()].map((row) => row.flights)).toEqual([full]);
  });
});
