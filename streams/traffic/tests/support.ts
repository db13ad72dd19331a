/** What the traffic tests share: the generator run as a user would, and reads of what was stored. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { projectRoot } from '../../../services/config.ts';
import { MINUTE_MS } from '../../../common/time.ts';
import { SURGE, type PageView, type SurgeEntry } from '../schema.ts';
import { cassandraClient, workDir } from '../../../tests/support/harness.ts';
import { kafkaBrokers, uniqueName } from '../../../tests/support/services.ts';
import { topAt, viewsPerMinute, type View } from './reference.ts';

/** The grace the traffic tests run the processor with (`TRAFFIC_GRACE_SECONDS`). */
export const TRAFFIC_GRACE_SECONDS = 10;

export interface GeneratedTraffic {
  views: View[];
  start: number;
  end: number;
}

/**
 * `generate -- traffic` with --out: 200,000 views at 150/s of event time are 22 minutes of
 * traffic, ending a few minutes ago; sent in a burst. The file is the test's truth. The
 * catalogue is the generator's default unless `businesses` says how many.
 */
export function generateTraffic(
  prefix: string,
  count: number,
  seed: number,
  ratePerSecond: number,
  businesses?: number,
): GeneratedTraffic {
  const out = path.join(workDir, `${uniqueName('pageviews')}.jsonl`);
  const durationMs = (count / ratePerSecond) * 1000;
  const start = Math.floor((Date.now() - durationMs - 5 * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'generators/cli.ts',
      'traffic',
      ...[
        '--count',
        String(count),
        '--seed',
        String(seed),
        '--rate',
        `${ratePerSecond}/s`,
        '--burst',
        '--surges',
        '5',
        ...(businesses === undefined ? [] : ['--businesses', String(businesses)]),
      ],
      ...['--start', new Date(start).toISOString(), '--out', out, '--brokers', kafkaBrokers.join(',')],
      ...['--topic', `${prefix}traffic.pageviews`, '--reference-topic', `${prefix}traffic.businesses`],
    ],
    { cwd: projectRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`generator failed (${result.status}): ${result.stderr}`);
  const views = fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as PageView)
    .map((view) => ({ business_id: view.business_id, time: Date.parse(view.event_time) }));
  return { views, start, end: views.reduce((latest, view) => Math.max(latest, view.time), 0) };
}

/** Every stored minute row, keyed `<business>|<minute ms>` as the reference keys them. */
export async function storedMinuteViews(keyspace: string): Promise<Map<string, number>> {
  const views = new Map<string, number>();
  const query = `SELECT business_id, minute, views FROM ${keyspace}.business_minutes`;
  for await (const row of await cassandraClient.execute(query, [], { prepare: true, fetchSize: 5000 })) {
    views.set(`${row.business_id as string}|${(row.minute as Date).getTime()}`, row.views as number);
  }
  return views;
}

/** The stored global top list of one step, in rank order. */
export async function storedTop(keyspace: string, step: number): Promise<SurgeEntry[]> {
  const hour = Math.floor(step / 3_600_000) * 3_600_000;
  const result = await cassandraClient.execute(
    `SELECT business_id, views_60s, trailing_avg, surge FROM ${keyspace}.top_surges WHERE hour = ? AND step = ?`,
    [new Date(hour), new Date(step)],
    { prepare: true },
  );
  return result.rows.map((row) => ({
    business_id: row.business_id as string,
    views_60s: row.views_60s as number,
    trailing_avg: row.trailing_avg as number,
    surge: row.surge as number,
  }));
}

/**
 * The whole truth a traffic test holds the processor to, computed from the generator's file:
 * every closed minute row (more than `minutesMoreThan` of them, so that a run that stored little
 * fails), nothing else, and the top 10 at 17, 19 and 21 minutes into the traffic.
 */
export async function expectTheTrafficDefinitions(
  keyspace: string,
  traffic: GeneratedTraffic,
  views: View[],
  { minutesMoreThan }: { minutesMoreThan: number },
) {
  const expected = viewsPerMinute(views);
  const stored = await storedMinuteViews(keyspace);
  // Minutes closed by every partition's stream time: all but the last one or two.
  const closedBefore = traffic.end - TRAFFIC_GRACE_SECONDS * 1000 - MINUTE_MS;
  let compared = 0;
  for (const [key, count] of expected) {
    if (Number(key.split('|')[1]) + MINUTE_MS > closedBefore) continue;
    expect(stored.get(key), key).toBe(count);
    compared += 1;
  }
  expect(compared).toBeGreaterThan(minutesMoreThan);
  // Nothing else: no minute of the late views, no double counts anywhere.
  for (const [key, count] of stored) expect(expected.get(key), key).toBe(count);

  const steps = [17, 19, 21].map((minutes) => traffic.start + minutes * MINUTE_MS);
  for (const step of steps) {
    const top = await storedTop(keyspace, step);
    expect(top).toHaveLength(SURGE.topN);
    expect(top, new Date(step).toISOString()).toEqual(topAt(views, step));
  }
}
