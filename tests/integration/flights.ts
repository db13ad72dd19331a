/** What the flights tests share: the generator run as a user would, and reads of what was stored. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../services/config.ts';
import type { AirlineDayRow, FlightRecord, RouteDayPart } from '../../schemas/flights.ts';
import { cassandraClient, workDir } from './harmony.ts';
import { kafkaBrokers, uniqueName } from './services.ts';

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
