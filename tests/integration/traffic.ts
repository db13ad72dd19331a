/** What the traffic tests share: the generator run as a user would, and reads of what was stored. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../services/config.ts';
import { MINUTE_MS } from '../../common/time.ts';
import type { PageView, SurgeEntry } from '../../schemas/traffic.ts';
import { cassandraClient, workDir } from './harmony.ts';
import { kafkaBrokers, uniqueName } from './services.ts';
import type { View } from '../support/traffic-reference.ts';

export interface GeneratedTraffic {
  views: View[];
  start: number;
  end: number;
}

/**
 * `generate -- traffic` with --out: 200,000 views at 150/s of event time are 22 minutes of
 * traffic, ending a few minutes ago; sent in a burst. The file is the test's truth.
 */
export function generateTraffic(
  prefix: string,
  count: number,
  seed: number,
  ratePerSecond: number,
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
