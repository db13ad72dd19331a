import { expect, test } from 'vitest';
import { DAY_MS } from '../../../common/time.ts';
import { CARRIERS } from '../carriers.ts';
import { DEFAULT_FLIGHTS_PER_DAY, flightRecords } from '../records.ts';
import { flightsGenerator } from '../generator.ts';
import { FLIGHTS_RECORDS_TOPIC, parseFlight, type FlightRecord } from '../schema.ts';
import { AIRLINES, AIRPORTS, distanceMiles, AIRPORTS_BY_CODE } from '../network.ts';

const START = new Date('2026-05-01T00:00:00Z');

function first(count: number, seed = 4): FlightRecord[] {
  const records: FlightRecord[] = [];
  for (const flight of flightRecords({ seed, start: START, intervalMs: DAY_MS / DEFAULT_FLIGHTS_PER_DAY })) {
    records.push(flight);
    if (records.length === count) break;
  }
  return records;
}

const records = first(30_000);

test('the network: at least 14 airlines and 100 airports with real coordinates, every carrier profiled', () => {
  expect(AIRLINES.length).toBeGreaterThanOrEqual(14);
  expect(AIRPORTS.length).toBeGreaterThanOrEqual(100);
  expect(new Set(AIRPORTS.map((airport) => airport.code)).size).toBe(AIRPORTS.length);
  expect(CARRIERS.map((carrier) => carrier.code).sort()).toEqual(
    AIRLINES.map((airline) => airline.code).sort(),
  );
  // Known great-circle distances of the on-time data: JFK-LAX 2475 mi, ATL-ORD 606 mi.
  const miles = (from: string, to: string) =>
    distanceMiles(AIRPORTS_BY_CODE.get(from)!, AIRPORTS_BY_CODE.get(to)!);
  expect(Math.abs(miles('JFK', 'LAX') - 2475)).toBeLessThan(10);
  expect(Math.abs(miles('ATL', 'ORD') - 606)).toBeLessThan(10);
});

test('the same seed gives the same records; every record is valid, in order of scheduled departure', () => {
  expect(first(500)).toEqual(records.slice(0, 500));
  expect(first(500, 5)).not.toEqual(records.slice(0, 500));
  let previous = 0;
  for (const flight of records) {
    const parsed = parseFlight(JSON.stringify(flight));
    expect(parsed.ok ? 'ok' : parsed.reason).toBe('ok');
    expect(Date.parse(flight.scheduled_departure)).toBeGreaterThanOrEqual(previous);
    previous = Date.parse(flight.scheduled_departure);
  }
  expect(new Set(records.map((flight) => flight.airline)).size).toBe(AIRLINES.length);
  expect(
    new Set(records.flatMap((flight) => [flight.origin_airport, flight.destination_airport])).size,
  ).toBeGreaterThan(95);
});

test('delays are realistic: most flights on time, a long tail, airlines apart, a few cancelled and diverted', () => {
  const byAirline = new Map<string, FlightRecord[]>();
  for (const flight of records)
    byAirline.set(flight.airline, [...(byAirline.get(flight.airline) ?? []), flight]);
  const shares = new Map<string, number>();
  for (const [airline, flights] of byAirline) {
    const done = flights.filter((flight) => !flight.cancelled && !flight.diverted);
    shares.set(airline, done.filter((flight) => flight.arrival_delay! <= 15).length / done.length);
  }
  for (const share of shares.values()) {
    expect(share).toBeGreaterThan(0.55);
    expect(share).toBeLessThan(0.95);
  }
  expect(shares.get('HA')! - shares.get('B6')!).toBeGreaterThan(0.05);
  const delays = records.flatMap((flight) => (flight.arrival_delay === null ? [] : [flight.arrival_delay]));
  expect(delays.filter((delay) => delay > 120).length / delays.length).toBeGreaterThan(0.01);
  expect(delays.filter((delay) => delay < 0).length / delays.length).toBeGreaterThan(0.4);
  const cancelled = records.filter((flight) => flight.cancelled).length / records.length;
  expect(cancelled).toBeGreaterThan(0.003);
  expect(cancelled).toBeLessThan(0.05);
  expect(records.some((flight) => flight.diverted)).toBe(true);
});

test('the CLI entry: keyed by airline to flights.records, a realistic day of flights at the default rate', () => {
  const stream = flightsGenerator;
  expect(stream.defaultTopic).toBe(FLIGHTS_RECORDS_TOPIC);
  expect(stream.defaultRate({})).toBe('15/min');
  const first = stream.events({ seed: 1, start: START, intervalMs: 4000 }, {}).next().value!;
  expect(first.key).toBe(JSON.parse(first.value).airline);
});
