/** What the community tests share: the generator run as a user would, the processor, and reads of what was stored. */
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../services/config.ts';
import { MINUTE_MS } from '../../common/time.ts';
import { EMOTIONS, type CommunityEvent, type EmotionCounts } from '../../schemas/community.ts';
import type { WindowFacts } from '../support/community-reference.ts';
import { cassandraClient, startPipelines, workDir } from './harmony.ts';
import { kafkaBrokers, uniqueName } from './services.ts';

export const COMMUNITY_GRACE_SECONDS = 10;

export interface GeneratedActivity {
  events: CommunityEvent[];
  start: number;
  end: number;
}

/**
 * `generate -- community` with --out, in a burst, event times spaced at `ratePerSecond` and
 * ending a few minutes ago: the file is the test's truth.
 */
export function generateActivity(
  topic: string,
  count: number,
  seed: number,
  { ratePerSecond = 50, extra = [] as string[] } = {},
): GeneratedActivity {
  const out = path.join(workDir, `${uniqueName('community')}.jsonl`);
  const durationMs = (count / ratePerSecond) * 1000;
  const start = Math.floor((Date.now() - durationMs - 5 * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'generators/cli.ts',
      'community',
      ...['--count', String(count), '--seed', String(seed), '--rate', `${ratePerSecond}/s`, '--burst'],
      ...['--start', new Date(start).toISOString(), '--out', out, '--brokers', kafkaBrokers.join(',')],
      ...['--topic', topic, ...extra],
    ],
    { cwd: projectRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`generator failed (${result.status}): ${result.stderr}`);
  const events = fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CommunityEvent);
  return { events, start, end: Date.parse(events.at(-1)!.event_time) };
}

export function startCommunityProcessor(
  prefix: string,
  keyspace: string,
  port: number,
  instance: string,
  settings: Record<string, string> = {},
): ChildProcess {
  return startPipelines(
    'community',
    { prefix, instance, port },
    {
      CASSANDRA_KEYSPACE_COMMUNITY: keyspace,
      COMMUNITY_GRACE_SECONDS: String(COMMUNITY_GRACE_SECONDS),
      ...settings,
    },
    `community-processor-${instance}.log`,
  );
}

/** Every stored window row, keyed `<community>|<window start ms>` as the reference keys them. */
export async function storedWindows(keyspace: string): Promise<Map<string, WindowFacts>> {
  const windows = new Map<string, WindowFacts>();
  const query = `SELECT * FROM ${keyspace}.windows`;
  for await (const row of await cassandraClient.execute(query, [], { prepare: true, fetchSize: 5000 })) {
    windows.set(`${row['community'] as string}|${(row['window_start'] as Date).getTime()}`, {
      logged_in: row['logged_in'] as number,
      logins: row['logins'] as number,
      posts: row['posts'] as number,
      likes: row['likes'] as number,
      shares: row['shares'] as number,
      comments: row['comments'] as number,
      valence_avg: row['valence_avg'] as number | null,
      ...(Object.fromEntries(EMOTIONS.map((emotion) => [emotion, row[emotion] as number])) as EmotionCounts),
    });
  }
  return windows;
}

/** Every stored row of a table, as plain objects. */
export async function storedRows(keyspace: string, table: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const query = `SELECT * FROM ${keyspace}.${table}`;
  for await (const row of await cassandraClient.execute(query, [], { prepare: true, fetchSize: 5000 })) {
    rows.push(Object.fromEntries(row.keys().map((key: string) => [key, row[key]])));
  }
  return rows;
}
