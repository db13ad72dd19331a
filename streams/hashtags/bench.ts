/**
 * The hashtags pipeline through the real services: a preloaded posts.raw drained by a fresh
 * processor (posts, and the hashtag updates they make through the repartition topic) beside
 * Kafka's own drain of the same topic.
 */
import type { Command } from 'commander';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { HASHTAG_USES_TOPIC, parsePost, POSTS_TOPIC } from './schema.ts';
import {
  brokerDrainRate,
  connectServices,
  printTable,
  takenPerSecond,
  processorEnv,
  runGenerator,
  say,
  startProcessor,
  untilTaken,
  withCleanup,
  positiveInteger,
} from '../../bench/support.ts';

export interface HashtagsBenchOptions {
  posts: number;
}

const PRELOAD_RATE_PER_SECOND = 500;
const SEED = 3;
const DRAIN_PORT = 19950;

export async function benchHashtags(options: HashtagsBenchOptions): Promise<void> {
  const services = await connectServices();
  const run = `bench_${Date.now().toString(36)}`;
  const prefix = `${run}.`;
  const topic = `${prefix}${POSTS_TOPIC}`;
  const keyspace = `${run}_hashtags`;
  const out = path.join(os.tmpdir(), `${run}-posts.jsonl`);
  let processor: ChildProcess | undefined;
  await withCleanup(
    services,
    prefix,
    [keyspace],
    () => (processor === undefined ? [] : [processor]),
    async () => {
      const start = new Date(Date.now() - (options.posts / PRELOAD_RATE_PER_SECOND) * 1000 - 120_000);
      say(`preloading ${options.posts} posts into ${topic} (event times at ${PRELOAD_RATE_PER_SECOND}/s)`);
      const preloadSeconds = runGenerator('hashtags', topic, services.brokers, [
        ...['--count', String(options.posts), '--rate', `${PRELOAD_RATE_PER_SECOND}/s`, '--burst'],
        ...['--seed', String(SEED), '--start', start.toISOString(), '--out', out],
      ]);
      // The hashtag updates the posts make: one per distinct normalised hashtag of a post.
      const updates = fs
        .readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .reduce((sum, line) => {
          const post = parsePost(line);
          return sum + (post.ok ? post.value.hashtags.length : 0);
        }, 0);
      fs.rmSync(out, { force: true });

      say("measuring Kafka's own drain of the same topic (ConsumerPerformance)");
      const rawRate = brokerDrainRate(services, topic, options.posts, `${prefix}consumer-performance`);

      say('a fresh processor drains the topic');
      processor = startProcessor(
        services,
        processorEnv(
          'hashtags',
          { prefix, group: `${prefix}drain`, port: DRAIN_PORT },
          { CASSANDRA_KEYSPACE_HASHTAGS: keyspace },
        ),
      );
      const [posts, counted] = await Promise.all([
        untilTaken(DRAIN_PORT, 'hashtags', topic, options.posts, processor),
        untilTaken(DRAIN_PORT, 'hashtags', `${prefix}${HASHTAG_USES_TOPIC}`, updates, processor),
      ]);
      const postsRate = takenPerSecond(posts, 'the split stage');
      const updatesRate = takenPerSecond(counted, 'the counting stage');

      printTable(
        `hashtags benchmark: ${options.posts} preloaded posts, ${updates} hashtag updates`,
        [
          ['generator (burst)', `${Math.round(options.posts / preloadSeconds)} posts/s`],
          ['processor: posts taken (stage one)', `${Math.round(postsRate)} posts/s`],
          ['processor: hashtag updates counted', `${Math.round(updatesRate)} updates/s`],
          ['raw drain: ConsumerPerformance, whole run', `${Math.round(rawRate.overall)} posts/s`],
          ['raw drain: ConsumerPerformance, fetching', `${Math.round(rawRate.fetching)} posts/s`],
          ['processor posts / raw drain (whole run)', (postsRate / rawRate.overall).toFixed(3)],
          ['processor posts / raw drain (fetching)', (postsRate / rawRate.fetching).toFixed(3)],
          ['peak RSS', `${(Math.max(posts.peak.rss, counted.peak.rss) / 2 ** 20).toFixed(0)} MiB`],
          ['peak state entries', `${Math.max(posts.peak.entries, counted.peak.entries)}`],
        ],
        [
          'stage one takes posts and writes their hashtags and places to the repartition topics in one transaction with its offsets; the counting stage follows on those topics',
          'hashtag updates/s: updates counted from the first one to the last',
        ],
      );
    },
  );
}

/** `bench hashtags`: its options, and the run. */
export function hashtagsBenchCommand(command: Command): void {
  command
    .description(
      'hashtags stream: processor posts/s and hashtag updates/s (through the repartition topic) beside ' +
        'Kafka ConsumerPerformance on the same posts topic, peak RSS and state',
    )
    .option('--posts <n>', 'posts preloaded and drained at full speed', positiveInteger, 200_000)
    .exitOverride()
    .action(async (options: { posts: number }) => {
      await benchHashtags({ posts: options.posts });
    });
}
