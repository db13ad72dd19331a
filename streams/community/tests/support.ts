/** What the community tests share: the generator run as a user would, the processor, and reads of what was stored. */
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { projectRoot } from '../../../services/config.ts';
import { MINUTE_MS, SECOND_MS } from '../../../common/time.ts';
import { analyzeText } from '../emotion.ts';
import { COMMUNITY, EMOTIONS, type CommunityEvent, type EmotionCounts } from '../schema.ts';
import { reference, type WindowFacts } from './reference.ts';
import { cassandraClient, startPipelines, workDir } from '../../../tests/support/harness.ts';
import { kafkaBrokers, uniqueName } from '../../../tests/support/services.ts';

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

/**
 * The whole truth a community test holds the processor to, computed from the generator's file:
 * every closed window (more than `windowsMoreThan`), post, post engagement and post total (more
 * than `totalsMoreThan` with engagement), so that a run that stored little fails; nothing else.
 */
export async function expectTheCommunityDefinitions(
  keyspace: string,
  activity: GeneratedActivity,
  { windowsMoreThan, totalsMoreThan }: { windowsMoreThan: number; totalsMoreThan: number },
): Promise<void> {
  const expected = reference(activity.events);
  expect(expected.loneLogouts).toEqual([]);
  // Windows closed by every partition's stream time: all but the last one or two.
  const closedBefore = activity.end - COMMUNITY_GRACE_SECONDS * SECOND_MS - COMMUNITY.windowMs;
  const isClosed = (windowStart: number) => windowStart + COMMUNITY.windowMs <= closedBefore;
  const stored = await storedWindows(keyspace);
  let compared = 0;
  for (const [key, facts] of expected.windows) {
    if (!isClosed(Number(key.split('|')[1]))) continue;
    expect(stored.get(key), key).toEqual(facts);
    compared += 1;
  }
  expect(compared).toBeGreaterThan(windowsMoreThan);
  // Nothing else: no window twice, none invented.
  for (const [key, facts] of stored) expect(facts, key).toEqual(expected.windows.get(key));

  const posts = new Map((await storedRows(keyspace, 'posts')).map((row) => [row['post_id'] as string, row]));
  let postCount = 0;
  for (const event of activity.events) {
    if (event.kind !== 'post') continue;
    postCount += 1;
    const { emotion, valenceMilli } = analyzeText(event.text);
    expect(posts.get(event.post_id), event.post_id).toMatchObject({
      community: event.community,
      user_id: event.user_id,
      text: event.text,
      emotion,
      valence: valenceMilli / 1000,
    });
  }
  expect(posts.size).toBe(postCount);

  const engagement = await storedRows(keyspace, 'post_engagement');
  const storedEngagement = new Map(
    engagement.map((row) => [
      `${row['community'] as string}|${(row['window_start'] as Date).getTime()}|${row['post_id'] as string}`,
      [row['likes'], row['shares'], row['comments']],
    ]),
  );
  for (const [key, counts] of expected.engagement) {
    if (isClosed(Number(key.split('|')[1]))) expect(storedEngagement.get(key), key).toEqual(counts);
  }
  for (const [key, counts] of storedEngagement) expect(counts, key).toEqual(expected.engagement.get(key));

  const totals = new Map(
    (await storedRows(keyspace, 'post_totals')).map((row) => [row['post_id'] as string, row]),
  );
  let totalsCompared = 0;
  for (const [postId, { likes, shares, comments, last }] of expected.totals) {
    if (likes + shares + comments === 0 || !isClosed(last - (last % COMMUNITY.windowMs))) continue;
    expect(totals.get(postId), postId).toEqual({ post_id: postId, likes, shares, comments });
    totalsCompared += 1;
  }
  expect(totalsCompared).toBeGreaterThan(totalsMoreThan);
}
