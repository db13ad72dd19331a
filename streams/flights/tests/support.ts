/** What the flights tests share: the generator run as a user would, and reads of what was stored. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { projectRoot } from '../../../services/config.ts';
import { DAY_MS, bucketStart } from '../../../common/time.ts';
import {
  routeDays as sumRouteParts,
  type AirlineDayRow,
  type FlightRecord,
  type RouteDayPart,
} from '../schema.ts';
import { airlineDays, routeDays } from './reference.ts';
import { cassandraClient, workDir } from '../../../tests/support/harness.ts';
import { kafkaBrokers, uniqueName } from '../../../tests/support/services.ts';

/** Midday: 20,000 flights at the default 15 a minute run into the next morning, across one midnight. */
export const FLIGHTS_START = '2026-03-01T10:00:00Z';

/** `generate -- flights --seed <seed> --count <count> --burst --out f.jsonl`: the file is the test's truth. */
export function generateFlights(
  prefix: string,
  count: number,
  seed: number,
  start = FLIGHTS_START,
): FlightRecord[] {
  const out = path.join(workDir, `${uniqueName('flights')}.jsonl`);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'generators/cli.ts',
      'flights',
      ...['--seed', String(seed), '--count', String(count), '--burst', '--out', out],
      ...['--start', start, '--brokers', kafkaBrokers.join(','), '--topic', `${prefix}flights.records`],
    ],
    { cwd: projectRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`generator failed (${result.status}): ${result.stderr}`);
  return fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as FlightRecord);
}

/** Every stored airline-day row, keyed `<day ms>|<airline>` as the reference keys them. */
export async function storedAirlineDays(keyspace: string): Promise<Map<string, AirlineDayRow>> {
  const rows = new Map<string, AirlineDayRow>();
  const result = await cassandraClient.execute(`SELECT * FROM ${keyspace}.airline_days`, [], {
    fetchSize: 100_000,
  });
  for (const row of result.rows) {
    const values = Object.fromEntries(row.keys().map((column) => [column, row.get(column)])) as AirlineDayRow;
    rows.set(`${values.day.getTime()}|${values.airline}`, values);
  }
  return rows;
}

/** Every stored airline part of a route-day. */
export async function storedRouteParts(keyspace: string): Promise<RouteDayPart[]> {
  const parts: RouteDayPart[] = [];
  const query = `SELECT * FROM ${keyspace}.route_days`;
  for await (const row of await cassandraClient.execute(query, [], { prepare: true, fetchSize: 5000 })) {
    parts.push(Object.fromEntries(row.keys().map((column) => [column, row.get(column)])) as RouteDayPart);
  }
  return parts;
}

/**
 * Every airline-day and route-day stored follows the definitions applied to `flights`, and
 * nothing else is stored: the days before the last are final, and the flights span `days` days.
 */
export async function expectTheFlightsDefinitions(
  keyspace: string,
  flights: FlightRecord[],
  { days }: { days: number },
): Promise<void> {
  const expected = airlineDays(flights);
  const stored = await storedAirlineDays(keyspace);
  expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
  const lastDay = bucketStart(Date.parse(flights.at(-1)!.scheduled_departure), DAY_MS);
  for (const [key, figures] of expected) {
    const { day, airline, final, ...values } = stored.get(key)!;
    expect(`${day.getTime()}|${airline}`).toBe(key);
    expect(values, key).toEqual(figures);
    expect(final, key).toBe(day.getTime() < lastDay);
  }
  expect(new Set([...stored.values()].map((row) => row.day.getTime())).size).toBe(days);

  const parts = await storedRouteParts(keyspace);
  const routes = new Map<string, { flights: number; arrival_delay_mean: number | null }>();
  for (const day of new Set(parts.map((part) => part.day.getTime()))) {
    for (const route of sumRouteParts(parts.filter((part) => part.day.getTime() === day))) {
      routes.set(`${day}|${route.origin}|${route.destination}`, {
        flights: route.flights,
        arrival_delay_mean: route.arrival_delay_mean,
      });
    }
  }
  expect(routes).toEqual(routeDays(flights));
}
