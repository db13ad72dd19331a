/** What the hashtags tests share: the generator run as a user would, closing posts, and reads of what was stored. */
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { projectRoot } from '../../../services/config.ts';
import { keyPartition } from '../../../common/kafka.ts';
import { bucketStart, HOUR_MS, MINUTE_MS, SECOND_MS } from '../../../common/time.ts';
import {
  HASHTAG_USES_TOPIC,
  PLACE_POSTS_TOPIC,
  placeKey,
  POSTS_TOPIC,
  TOP,
  TOP_CANDIDATES_TOPIC,
  type Post,
  type TopEntry,
} from '../schema.ts';
import { PLACES } from '../places.ts';
import { committedGaps } from '../../../tests/support/groups.ts';
import { cassandraClient, startPipelines, testProducer, workDir } from '../../../tests/support/harness.ts';
import { factsOf, hashtagMinutes, placeMinutes, topAt, totalsBefore, type PostFacts } from './reference.ts';
import { kafkaBrokers, uniqueName } from '../../../tests/support/services.ts';

export const GRACE_SECONDS = 10;
/** How long after the generated posts the closing posts come (`postsWithClosing`). */
const CLOSING_AFTER_MS = 2 * MINUTE_MS;
/** Partitions the processor creates each of its topics with (see the topology). */
const PARTITIONS = 3;

export interface GeneratedPosts {
  posts: PostFacts[];
  start: number;
  end: number;
}

/** `generate -- posts` with --out and --burst, event times ending a few minutes ago: the file is the test's truth. */
export function generatePosts(
  prefix: string,
  options: { count: number; seed: number; rate?: number; trend?: string },
): GeneratedPosts {
  const out = path.join(workDir, `${uniqueName('posts')}.jsonl`);
  const rate = options.rate ?? 500;
  const durationMs = (options.count / rate) * 1000;
  const start = Math.floor((Date.now() - durationMs - 5 * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  const result = spawnSync(
    process.execPath,
    [
      ...['--import', 'tsx', 'generators/cli.ts', 'hashtags'],
      ...['--count', String(options.count), '--seed', String(options.seed), '--burst'],
      ...(options.rate === undefined ? [] : ['--rate', `${rate}/s`]),
      ...(options.trend === undefined ? [] : ['--trend', options.trend]),
      ...['--start', new Date(start).toISOString(), '--out', out, '--brokers', kafkaBrokers.join(',')],
      ...['--topic', `${prefix}${POSTS_TOPIC}`],
    ],
    { cwd: projectRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`generator failed (${result.status}): ${result.stderr}`);
  const posts = fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((line) => factsOf(JSON.parse(line) as Post));
  return { posts, start, end: posts.reduce((latest, post) => Math.max(latest, post.time), 0) };
}

const partitionOf = (key: string): number => keyPartition(key, PARTITIONS);

/**
 * Posts at `time` into every posts partition, with hashtags and places reaching every partition
 * of the repartition topics: the watermark of every counting partition passes `time`, so every
 * window before it closes, as more traffic would do. Returned as the reference reads them.
 */
export async function sendClosingPosts(prefix: string, time: number): Promise<PostFacts[]> {
  const tags: string[] = [];
  for (let index = 0; new Set(tags.map(partitionOf)).size < PARTITIONS || tags.length < 5; index++) {
    tags.push(`closing${index}`);
  }
  const places = PLACES.filter(
    (place, index) =>
      PLACES.findIndex((other) => partitionOf(placeKey(other)) === partitionOf(placeKey(place))) === index,
  );
  const sent: Post[] = [];
  for (let partition = 0; partition < PARTITIONS; partition += 1) {
    for (const [index, place] of places.entries()) {
      sent.push({
        post_id: `closing-${partition}-${index}`,
        user_id: 'u-closing',
        text: tags.map((tag) => `#${tag}`).join(' '),
        lang: place.lang,
        event_time: new Date(time).toISOString(),
        place: { city: place.city, country: place.country, lat: place.lat, lon: place.lon },
      });
    }
  }
  const producer = testProducer();
  await producer.connect();
  // At most 5 hashtags a post: a closing post takes them in turns of 5.
  const posts = sent.flatMap((post, index) => {
    const partition = Math.floor(index / places.length);
    const groups: Post[] = [];
    for (let first = 0; first < tags.length; first += 5) {
      groups.push({
        ...post,
        post_id: `${post.post_id}-${first}`,
        text: tags
          .slice(first, first + 5)
          .map((tag) => `#${tag}`)
          .join(' '),
      });
    }
    return groups.map((value) => ({ partition, value }));
  });
  await producer.send(
    posts.map(({ partition, value }) => ({
      topic: `${prefix}${POSTS_TOPIC}`,
      key: value.post_id,
      partition,
      value: JSON.stringify(value),
    })),
  );
  await producer.disconnect();
  return posts.map(({ value }) => factsOf(value));
}

/** The generated posts, then closing posts two minutes after them, as the reference sees them all. */
export async function postsWithClosing(
  prefix: string,
  options: { count: number; seed: number; rate?: number },
): Promise<{ generated: GeneratedPosts; posts: PostFacts[] }> {
  const generated = generatePosts(prefix, options);
  expect(generated.posts).toHaveLength(options.count);
  const closing = await sendClosingPosts(prefix, generated.end + CLOSING_AFTER_MS);
  return { generated, posts: [...generated.posts, ...closing] };
}

export const hashtagsSources = (prefix: string) =>
  [POSTS_TOPIC, HASHTAG_USES_TOPIC, PLACE_POSTS_TOPIC, TOP_CANDIDATES_TOPIC].map(
    (topic) => `${prefix}${topic}`,
  );

/**
 * Whether the hashtags pipeline has done everything: posts.raw (written without transactions)
 * committed to its end, and each topic the pipeline writes itself short of its end by no more
 * than the transaction markers its producers left there (one each: 3 producers write to every
 * partition, and their transactions interleave), with nothing moving for 5 s.
 */
export async function hashtagsDrained(prefix: string): Promise<boolean> {
  const groupId = `${prefix}processor-hashtags`;
  const topics = hashtagsSources(prefix);
  const settled = (gaps: Map<string, bigint> | undefined): gaps is Map<string, bigint> =>
    gaps !== undefined &&
    [...gaps].every(([key, gap]) =>
      key.startsWith(`${prefix}${POSTS_TOPIC}/`) ? gap === 0n : gap <= BigInt(PARTITIONS),
    );
  const before = await committedGaps(groupId, topics);
  if (!settled(before)) return false;
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const after = await committedGaps(groupId, topics);
  return settled(after) && [...after].every(([key, gap]) => before.get(key) === gap);
}

export function startHashtagsProcessor(
  prefix: string,
  keyspace: string,
  port: number,
  instance: string,
  settings: Record<string, string> = {},
): ChildProcess {
  return startPipelines(
    'hashtags',
    { prefix, instance, port },
    { CASSANDRA_KEYSPACE_HASHTAGS: keyspace, HASHTAGS_GRACE_SECONDS: String(GRACE_SECONDS), ...settings },
    `hashtags-processor-${instance}.log`,
  );
}

async function* rowsOf(query: string) {
  for await (const row of await cassandraClient.execute(query, [], { prepare: true, fetchSize: 5000 }))
    yield row;
}

/** Every stored hashtag minute, keyed `<hashtag>|<minute ms>` as the reference keys them. */
export async function storedHashtagMinutes(keyspace: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const row of rowsOf(`SELECT hashtag, minute, posts FROM ${keyspace}.hashtag_minutes`)) {
    counts.set(`${row['hashtag'] as string}|${(row['minute'] as Date).getTime()}`, row['posts'] as number);
  }
  return counts;
}

/** Every stored place minute, keyed `<country>/<city>|<minute ms>`. */
export async function storedPlaceMinutes(keyspace: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const row of rowsOf(`SELECT country, city, minute, posts FROM ${keyspace}.place_minutes`)) {
    const key = `${placeKey({ country: row['country'] as string, city: row['city'] as string })}|${(row['minute'] as Date).getTime()}`;
    counts.set(key, row['posts'] as number);
  }
  return counts;
}

export async function storedTotals(keyspace: string): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for await (const row of rowsOf(`SELECT hashtag, posts FROM ${keyspace}.hashtag_totals`)) {
    totals.set(row['hashtag'] as string, Number(row['posts']));
  }
  return totals;
}

/** The stored global top list of one step, in rank order. */
export async function storedTop(keyspace: string, step: number): Promise<TopEntry[]> {
  const result = await cassandraClient.execute(
    `SELECT hashtag, posts FROM ${keyspace}.top_hashtags WHERE hour = ? AND step = ?`,
    [new Date(Math.floor(step / HOUR_MS) * HOUR_MS), new Date(step)],
    { prepare: true },
  );
  return result.rows.map((row) => ({ hashtag: row['hashtag'] as string, posts: row['posts'] as number }));
}

/**
 * The whole truth a hashtags test holds the processor to, computed from the posts of
 * `postsWithClosing`: every hashtag and place minute (more than the given numbers of each, so
 * that a run that stored little fails), nothing else, the totals, and the top 10 at 40, 70 and
 * 110 seconds into the posts.
 */
export async function expectTheHashtagsDefinitions(
  keyspace: string,
  generated: GeneratedPosts,
  posts: PostFacts[],
  {
    hashtagMinutesMoreThan,
    placeMinutesMoreThan,
  }: { hashtagMinutesMoreThan: number; placeMinutesMoreThan: number },
) {
  // Minutes closed by the closing posts' watermark: all the generated ones.
  const closedBefore = bucketStart(generated.end + CLOSING_AFTER_MS - GRACE_SECONDS * SECOND_MS, MINUTE_MS);
  const compare = async (expected: Map<string, number>, stored: Map<string, number>) => {
    let compared = 0;
    for (const [key, count] of expected) {
      if (Number(key.split('|')[1]) >= closedBefore) continue;
      expect(stored.get(key), key).toBe(count);
      compared += 1;
    }
    // Nothing else: no double counts anywhere, nothing that was not sent.
    for (const [key, count] of stored) expect(expected.get(key), key).toBe(count);
    return compared;
  };
  expect(await compare(hashtagMinutes(posts), await storedHashtagMinutes(keyspace))).toBeGreaterThan(
    hashtagMinutesMoreThan,
  );
  expect(await compare(placeMinutes(posts), await storedPlaceMinutes(keyspace))).toBeGreaterThan(
    placeMinutesMoreThan,
  );
  expect(await storedTotals(keyspace)).toEqual(totalsBefore(posts, closedBefore));

  const steps = [40, 70, 110].map((seconds) => generated.start + seconds * SECOND_MS);
  for (const step of steps) {
    const top = await storedTop(keyspace, step);
    expect(top).toHaveLength(TOP.topN);
    expect(top, new Date(step).toISOString()).toEqual(topAt(posts, step));
  }
}
