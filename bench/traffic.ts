/**
 * The web-traffic pipeline through the real services: a preloaded topic drained by a fresh
 * processor beside Kafka's own drain of the same topic, the recovery after a kill -9 at full
 * speed, and a paced live run for event-to-store latency.
 */
import type { ChildProcess } from 'node:child_process';
import { bucketsBetween, histogramBuckets, histogramQuantile, sampleValue } from '../common/exposition.ts';
import { committedOffsets } from '../common/kafka.ts';
import {
  brokerDrainRate,
  connectServices,
  printTable,
  runGenerator,
  say,
  scrape,
  sleep,
  startProcessor,
  stopProgram,
  withCleanup,
  type BenchServices,
} from './support.ts';

export interface TrafficBenchOptions {
  events: number;
  liveRatePerSecond: number;
  liveSeconds: number;
}

const PRELOAD_RATE_PER_SECOND = 4000;
const SEED = 5;
const DRAIN_PORT = 19640;
const RECOVERY_PORT = 19641;
const POLL_MS = 250;

interface Progress {
  /** Page views the processor has taken (accepted or late). */
  taken: number;
  text: string;
}

async function progress(port: number, topic: string): Promise<Progress> {
  const text = await scrape(port).catch(() => '');
  const count = (outcome: string) =>
    sampleValue(text, 'processor_records_total', { pipeline: 'traffic', topic, outcome }) ?? 0;
  return { taken: count('accepted') + count('late'), text };
}

/** Polls until the processor has taken `target` views; the seconds from its first one, peaks seen. */
async function until(port: number, topic: string, target: number, processor: ChildProcess) {
  let firstAt: number | undefined;
  let firstTaken = 0;
  const peak = { rss: 0, entries: 0 };
  for (;;) {
    if (processor.exitCode !== null) throw new Error(`the processor exited with ${processor.exitCode}`);
    const now = await progress(port, topic);
    peak.rss = Math.max(peak.rss, sampleValue(now.text, 'process_resident_memory_bytes') ?? 0);
    peak.entries = Math.max(
      peak.entries,
      sampleValue(now.text, 'processor_state_entries', { pipeline: 'traffic' }) ?? 0,
    );
    if (now.taken > 0 && firstAt === undefined) {
      firstAt = performance.now();
      firstTaken = now.taken;
    }
    if (now.taken >= target) {
      return {
        seconds: (performance.now() - (firstAt ?? performance.now())) / 1000,
        counted: now.taken - firstTaken,
        peak,
        text: now.text,
      };
    }
    await sleep(POLL_MS);
  }
}

const trafficEnv = (prefix: string, group: string, keyspace: string, port: number) => ({
  PROCESSOR_PIPELINES: 'traffic',
  PROCESSOR_TOPIC_PREFIX: prefix,
  PROCESSOR_GROUP_ID: group,
  PROCESSOR_INSTANCE_ID: group,
  CASSANDRA_KEYSPACE_TRAFFIC: keyspace,
  PROCESSOR_METRICS_PORT: String(port),
});

/**
 * Kills a processor with SIGKILL half-way through the topic, restarts it, and measures what the
 * crash costs: records processed but not committed (redone), the state restore, and the time
 * until the new instance is back where the killed one was.
 */
async function recovery(
  services: BenchServices,
  prefix: string,
  topic: string,
  keyspace: string,
  events: number,
) {
  const group = `${prefix}recovery`;
  const env = trafficEnv(prefix, group, keyspace, RECOVERY_PORT);
  const first = startProcessor(services, env);
  let taken = 0;
  while (taken < events / 2) {
    if (first.exitCode !== null) throw new Error(`the processor exited with ${first.exitCode}`);
    taken = (await progress(RECOVERY_PORT, topic)).taken;
    await sleep(50);
  }
  await stopProgram(first, 'SIGKILL');
  const committed = [...(await committedOffsets(services.admin, `${group}-traffic`, topic)).values()].reduce(
    (sum, offset) => sum + Number(offset),
    0,
  );
  const redone = Math.max(0, taken - committed);
  const restartedAt = performance.now();
  const second = startProcessor(services, env);
  try {
    const back = await until(RECOVERY_PORT, topic, redone, second);
    const restoreSeconds =
      sampleValue(back.text, 'processor_state_restore_seconds_sum', { pipeline: 'traffic' }) ?? 0;
    const restored =
      sampleValue(back.text, 'processor_state_restored_records_total', { pipeline: 'traffic' }) ?? 0;
    return { taken, redone, restored, restoreSeconds, backSeconds: (performance.now() - restartedAt) / 1000 };
  } finally {
    await stopProgram(second);
  }
}

export async function benchTraffic(options: TrafficBenchOptions): Promise<void> {
  const services = await connectServices();
  const run = `bench_${Date.now().toString(36)}`;
  const prefix = `${run}.`;
  const topic = `${prefix}traffic.pageviews`;
  const keyspaces = [`${run}_drain`, `${run}_recovery`];
  let processor: ChildProcess | undefined;
  await withCleanup(
    services,
    prefix,
    keyspaces,
    () => (processor === undefined ? [] : [processor]),
    async () => {
      const start = new Date(Date.now() - (options.events / PRELOAD_RATE_PER_SECOND) * 1000 - 120_000);
      say(
        `preloading ${options.events} page views into ${topic} (event times at ${PRELOAD_RATE_PER_SECOND}/s)`,
      );
      const preloadSeconds = runGenerator('traffic', topic, services.brokers, [
        ...['--count', String(options.events), '--rate', `${PRELOAD_RATE_PER_SECOND}/s`, '--burst'],
        ...['--seed', String(SEED), '--start', start.toISOString(), '--surges', '5', '--no-reference-data'],
      ]);
      say("measuring Kafka's own drain of the same topic (ConsumerPerformance)");
      const rawRate = brokerDrainRate(services, topic, options.events, `${prefix}consumer-performance`);

      say('a fresh processor drains the topic');
      processor = startProcessor(services, trafficEnv(prefix, `${prefix}drain`, keyspaces[0]!, DRAIN_PORT));
      const drain = await until(DRAIN_PORT, topic, options.events, processor);
      const drainRate = drain.counted / drain.seconds;

      say('recovery: another group, killed with SIGKILL half-way, restarted');
      const crash = await recovery(services, prefix, topic, keyspaces[1]!, options.events);

      const liveCount = options.liveRatePerSecond * options.liveSeconds;
      say(`live: ${liveCount} page views at ${options.liveRatePerSecond}/s with event time = now`);
      const before = histogramBuckets(drain.text, 'processor_event_to_store_seconds');
      runGenerator('traffic', topic, services.brokers, [
        ...[
          '--count',
          String(liveCount),
          '--rate',
          `${options.liveRatePerSecond}/s`,
          '--seed',
          String(SEED + 1),
        ],
        '--no-reference-data',
      ]);
      // Windows close only when stream time passes them: the last minute waits for traffic after it.
      const live = await until(DRAIN_PORT, topic, options.events + liveCount, processor);
      await sleep(1000);
      const latency = bucketsBetween(
        before,
        histogramBuckets(await scrape(DRAIN_PORT), 'processor_event_to_store_seconds'),
      );

      printTable(
        `traffic benchmark: ${options.events} preloaded + ${liveCount} live page views`,
        [
          ['generator (burst)', `${Math.round(options.events / preloadSeconds)} events/s`],
          ['processor drain', `${Math.round(drainRate)} events/s`],
          ['raw drain (Kafka ConsumerPerformance)', `${Math.round(rawRate)} events/s`],
          ['processor / raw drain', (drainRate / rawRate).toFixed(2)],
          [
            'peak RSS while draining',
            `${(Math.max(drain.peak.rss, live.peak.rss) / 2 ** 20).toFixed(0)} MiB`,
          ],
          ['peak state entries (businesses held)', `${drain.peak.entries}`],
          ['event-to-store p50 (live)', `${histogramQuantile(0.5, latency).toFixed(1)} s`],
          ['event-to-store p99 (live)', `${histogramQuantile(0.99, latency).toFixed(1)} s`],
          ['kill -9 at', `${crash.taken} views taken`],
          ['  records redone after restart', `${crash.redone}`],
          ['  changelog records restored', `${crash.restored} in ${crash.restoreSeconds.toFixed(1)} s`],
          ['  seconds until back where it was', `${crash.backSeconds.toFixed(1)} s`],
        ],
        [
          'event-to-store runs from the middle of a minute to its stored row (and from a step to its top 10): a minute is written when it closes, after its end plus the grace',
          'latency percentiles are estimated from the histogram buckets, as Prometheus does',
        ],
      );
    },
  );
}
