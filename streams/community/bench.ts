/**
 * The community pipeline through the real services: a preloaded topic drained by a fresh
 * processor beside Kafka's own drain of the same topic, and beside the raw rate of the
 * stream's heaviest pure step, the emotion of a text, measured in this process on the same texts;
 * then what a kill -9 half-way costs.
 */
import type { Command } from 'commander';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyzeText } from './emotion.ts';
import type { CommunityEvent } from './schema.ts';
import {
  brokerDrainRate,
  connectServices,
  printTable,
  takenPerSecond,
  processorEnv,
  recoveryAfterKill,
  runGenerator,
  say,
  startProcessor,
  untilTaken,
  withCleanup,
  configuredBatchRecords,
  positiveInteger,
} from '../../bench/support.ts';

export interface CommunityBenchOptions {
  events: number;
}

const PRELOAD_RATE_PER_SECOND = 500;
const SEED = 5;
const DRAIN_PORT = 19920;
const RECOVERY_PORT = 19921;

const communityEnv = (prefix: string, group: string, keyspace: string, port: number) =>
  processorEnv('community', { prefix, group, port }, { CASSANDRA_KEYSPACE_COMMUNITY: keyspace });

/** Texts analysed per second, in this process, over the texts of the preloaded events. */
function emotionRate(texts: string[]): number {
  const began = performance.now();
  let analysed = 0;
  while (performance.now() - began < 3000) {
    for (const text of texts) analyzeText(text);
    analysed += texts.length;
  }
  return analysed / ((performance.now() - began) / 1000);
}

export async function benchCommunity(options: CommunityBenchOptions): Promise<void> {
  const batchRecords = configuredBatchRecords();
  const services = await connectServices();
  const run = `bench_${Date.now().toString(36)}`;
  const prefix = `${run}.`;
  const topic = `${prefix}community.events`;
  const keyspace = `${run}_community`;
  const recoveryKeyspace = `${run}_recovery`;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'community-bench-')), 'events.jsonl');
  let processor: ChildProcess | undefined;
  await withCleanup(
    services,
    prefix,
    [keyspace, recoveryKeyspace],
    () => (processor === undefined ? [] : [processor]),
    async () => {
      const start = new Date(Date.now() - (options.events / PRELOAD_RATE_PER_SECOND) * 1000 - 120_000);
      say(`preloading ${options.events} community events into ${topic}`);
      const preloadSeconds = runGenerator('community', topic, services.brokers, [
        ...['--count', String(options.events), '--rate', `${PRELOAD_RATE_PER_SECOND}/s`, '--burst'],
        ...['--seed', String(SEED), '--start', start.toISOString(), '--out', out],
      ]);
      const texts = fs
        .readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as CommunityEvent)
        .flatMap((event) => ('text' in event ? [event.text] : []));
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
      say("measuring Kafka's own drain of the same topic (ConsumerPerformance)");
      const rawRate = brokerDrainRate(services, topic, options.events, `${prefix}consumer-performance`);
      say('measuring the emotion of the same texts, in this process');
      const textsPerSecond = emotionRate(texts);

      say('a fresh processor drains the topic');
      processor = startProcessor(services, communityEnv(prefix, `${prefix}drain`, keyspace, DRAIN_PORT));
      const drain = await untilTaken(DRAIN_PORT, 'community', topic, options.events, processor);

      say('recovery: another group, killed with SIGKILL half-way, restarted');
      const crash = await recoveryAfterKill(
        services,
        communityEnv(prefix, `${prefix}recovery`, recoveryKeyspace, RECOVERY_PORT),
        { port: RECOVERY_PORT, pipeline: 'community', topic, events: options.events },
      );
      const drainRate = takenPerSecond(drain, 'the community drain');
      const textShare = texts.length / options.events;

      printTable(
        `community benchmark: ${options.events} preloaded events (${texts.length} posts and comments)`,
        [
          ['generator (burst)', `${Math.round(options.events / preloadSeconds)} events/s`],
          ['processor drain (from its first record)', `${Math.round(drainRate)} events/s`],
          ['raw drain: ConsumerPerformance, whole run', `${Math.round(rawRate.overall)} events/s`],
          ['raw drain: ConsumerPerformance, fetching', `${Math.round(rawRate.fetching)} events/s`],
          ['processor / raw drain (whole run)', (drainRate / rawRate.overall).toFixed(2)],
          ['emotion of a text, one core (raw)', `${Math.round(textsPerSecond)} texts/s`],
          ['  as events/s at this mix of texts', `${Math.round(textsPerSecond / textShare)} events/s`],
          ['peak RSS', `${(drain.peak.rss / 2 ** 20).toFixed(0)} MiB`],
          ['peak state entries (sessions, windows, posts)', `${drain.peak.entries}`],
          ['kill -9 after', `${crash.committedAtKill} events committed`],
          ['  redone after restart', `at most one micro-batch per partition (${batchRecords} records)`],
          ['  changelog records restored', `${crash.restored} in ${crash.restoreSeconds.toFixed(1)} s`],
          ['  restart to committing again', `${crash.backSeconds.toFixed(1)} s (process start included)`],
        ],
        [
          'the emotion rate is the stream step alone in this process; the drain includes decoding, state, changelog, Cassandra and Kafka transactions',
        ],
      );
    },
  );
}

/** `bench community`: its options, and the run. */
export function communityBenchCommand(command: Command): void {
  command
    .description(
      'community stream: processor drain of preloaded events beside Kafka ConsumerPerformance on the same topic, ' +
        'and the raw rate of the emotion step on the same texts',
    )
    .option('--events <n>', 'community events preloaded and drained at full speed', positiveInteger, 200_000)
    .exitOverride()
    .action(async (options: { events: number }) => {
      await benchCommunity({ events: options.events });
    });
}
