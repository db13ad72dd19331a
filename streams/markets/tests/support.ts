/** What the markets tests share: the ticks generator run as a user would, and reads of what was stored. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { MINUTE_MS, SECOND_MS } from '../../../common/time.ts';
import type { Bar } from '../schema.ts';
import { projectRoot } from '../../../services/config.ts';
import { cassandraClient, startPipelines, workDir } from '../../../tests/support/harness.ts';
import { closeTo, expectedIndicators } from './reference.ts';
import { kafkaBrokers, uniqueName } from '../../../tests/support/services.ts';

export interface GeneratedTicks {
  bars: Bar[];
  /** The first bar's start (ms). */
  start: number;
}

/** `generate -- ticks` with --out, bars a second apart, ending a few minutes ago; sent in a burst. */
export function generateTicks(prefix: string, count: number, seed: number): GeneratedTicks {
  const out = path.join(workDir, `${uniqueName('bars')}.jsonl`);
  const start = Math.floor((Date.now() - 10 * MINUTE_MS) / SECOND_MS) * SECOND_MS;
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'generators/cli.ts',
      'markets',
      ...['--count', String(count), '--seed', String(seed), '--burst'],
      ...['--start', new Date(start).toISOString(), '--out', out, '--brokers', kafkaBrokers.join(',')],
      ...['--topic', `${prefix}market.bars`],
    ],
    { cwd: projectRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`generator failed (${result.status}): ${result.stderr}`);
  const bars = fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Bar);
  return { bars, start };
}

/** The processor running both markets pipelines, each in its own consumer group. */
export function startMarketsProcessor(
  prefix: string,
  keyspace: string,
  port: number,
  instance: string,
  settings: Record<string, string> = {},
): ChildProcess {
  return startPipelines(
    'bollinger,aroon',
    { prefix, instance, port },
    { CASSANDRA_KEYSPACE_MARKETS: keyspace, ...settings },
    `markets-processor-${instance}.log`,
  );
}

export interface StoredBar {
  symbol: string;
  bar_start: number;
  /** The other columns: numbers, or null where not written. */
  [column: string]: number | string | null;
}

/** Every stored bar row, keyed `<symbol>|<bar start ms>` as the reference keys them. */
export async function storedBars(keyspace: string): Promise<Map<string, StoredBar>> {
  const rows = new Map<string, StoredBar>();
  const query = `SELECT * FROM ${keyspace}.bars`;
  for await (const row of await cassandraClient.execute(query, [], { prepare: true, fetchSize: 5000 })) {
    const bar_start = (row.bar_start as Date).getTime();
    const symbol = row.symbol as string;
    const values: Record<string, unknown> = {};
    for (const column of row.keys()) values[column] = row.get(column);
    rows.set(`${symbol}|${bar_start}`, { ...(values as Record<string, number | null>), symbol, bar_start });
  }
  return rows;
}

/**
 * Every Bollinger and Aroon value stored equals the test's own from the generator's file, and
 * nothing else is stored: `expected` says how many rows, and how many of them have bands and
 * Aroon values (a symbol's first 19 and 25 bars have none).
 */
export async function expectTheMarketsDefinitions(
  keyspace: string,
  ticks: GeneratedTicks,
  expected: { rows: number; bands: number; aroons: number },
): Promise<void> {
  const indicators = expectedIndicators(ticks.bars);
  const stored = await storedBars(keyspace);
  expect(stored.size).toBe(expected.rows);
  let bands = 0;
  let aroons = 0;
  const mismatches: string[] = [];
  for (const [key, want] of indicators) {
    const row = stored.get(key);
    if (row === undefined) {
      mismatches.push(`${key}: missing`);
      continue;
    }
    const bar = ticks.bars.find((each) => `${each.symbol}|${Date.parse(each.bar_start)}` === key)!;
    for (const column of ['open', 'high', 'low', 'close', 'adj_close', 'volume'] as const) {
      if (row[column] !== bar[column]) mismatches.push(`${key}: ${column} ${row[column]} != ${bar[column]}`);
    }
    const pairs: [string, number | undefined][] = [
      ['bollinger_middle', want.bollinger?.middle],
      ['bollinger_upper', want.bollinger?.upper],
      ['bollinger_lower', want.bollinger?.lower],
      ['aroon_up', want.aroon?.up],
      ['aroon_down', want.aroon?.down],
      ['aroon_oscillator', want.aroon?.oscillator],
    ];
    for (const [column, value] of pairs) {
      const actual = row[column];
      const ok = value === undefined ? actual === null : closeTo(actual, value);
      if (!ok) mismatches.push(`${key}: ${column} ${actual} != ${value}`);
    }
    if (want.bollinger !== undefined) bands += 1;
    if (want.aroon !== undefined) aroons += 1;
  }
  expect(mismatches.slice(0, 10)).toEqual([]);
  expect(bands).toBe(expected.bands);
  expect(aroons).toBe(expected.aroons);
}
