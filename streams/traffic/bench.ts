/**
 * The web-traffic pipeline through the real services: a preloaded topic drained by a fresh
 * processor beside Kafka's own drain of the same topic, the recovery after a kill -9 at full
 * speed, and a paced live run for event-to-store latency.
 */
import type { Command } from 'commander';
import type { ChildProcess } from 'node:child_process';
import {
  bucketsBetween,
  histogramBuckets,
  histogramQuantile,
  sampleValue,
  type HistogramBucket,
} from '../../common/exposition.ts';
import {
  brokerDrainRate,
  connectServices,
  printTable,
  takenPerSecond,
  processorEnv,
  recoveryAfterKill,
  runGenerator,
  runGeneratorInBackground,
  say,
  scrape,
  sleep,
  startProcessor,
  untilTaken,
  withCleanup,
  configuredBatchRecords,
  nodeDecodeDrainRate,
  positiveInteger,
} from '../../bench/support.ts';
import { kafkaStreamsMinuteCounts } from './kafka-streams/minute-counts.ts';
import { readTrafficSettings } from './settings.ts';

export interface TrafficBenchOptions {
  events: number;
  liveRatePerSecond: number;
  liveSeconds: number;
}

const PRELOAD_RATE_PER_SECOND = 4000;
const SEED = 5;
const DRAIN_PORT = 19640;
const RECOVERY_PORT = 19641;
/** One stream thread, as the processor has one JavaScript thread: two drained slower here (67,000 against 74,000 views/s). */
const KAFKA_STREAMS_THREADS = 1;
/**
 * Kafka Streams as shipped, and tuned as well as measured here: a commit every second (its
 * exactly-once default is 100 ms) and polls of 5,000 records (default 1,000) drained about 1.3
 * times faster; a larger record cache did not help.
 */
const KAFKA_STREAMS_VARIANTS: { name: string; settings: Record<string, string> }[] = [
  { name: 'defaults', settings: {} },
  {
    name: 'commit 1 s, 5,000-record polls',
    settings: { 'commit.interval.ms': '1000', 'max.poll.records': '5000' },
  },
];
const trafficEnv = (prefix: string, group: string, keyspace: string, port: number) =>
  processorEnv('traffic', { prefix, group, port }, { CASSANDRA_KEYSPACE_TRAFFIC: keyspace });

/** A quantile of the live run's event-to-store seconds, or why there is none. */
function liveLatency(q: number, buckets: HistogramBucket[]): string {
  const seconds = histogramQuantile(q, buckets);
  return Number.isNaN(seconds)
    ? 'none: no window closed in the second half of the live run (raise --live-seconds)'
    : `${seconds.toFixed(1)} s`;
}

export async function benchTraffic(options: TrafficBenchOptions): Promise<void> {
  const batchRecords = configuredBatchRecords();
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
      say('measuring the Node ceiling: kafkajs fetching and JSON.parse, nothing else');
      const nodeRate = await nodeDecodeDrainRate(services, topic, options.events, `${prefix}node-decode`);
      say('Kafka Streams counts views per business per minute on the same topic');
      const graceSeconds = readTrafficSettings(process.env).GRACE_SECONDS;
      const kafkaStreams = [];
      for (const variant of KAFKA_STREAMS_VARIANTS) {
        const applicationId = `${prefix}kafka-streams-${kafkaStreams.length}`;
        const run = await kafkaStreamsMinuteCounts(services, {
          topic,
          applicationId,
          graceSeconds,
          threads: KAFKA_STREAMS_THREADS,
          settings: variant.settings,
        });
        kafkaStreams.push({ ...variant, ...run });
      }

      say('a fresh processor drains the topic');
      processor = startProcessor(services, trafficEnv(prefix, `${prefix}drain`, keyspaces[0]!, DRAIN_PORT));
      const drain = await untilTaken(DRAIN_PORT, 'traffic', topic, options.events, processor);
      const drainRate = takenPerSecond(drain, 'the traffic drain');
      // Every minute row is a Cassandra write: what a faster drain would ask of Cassandra.
      const minuteRows =
        sampleValue(drain.text, 'processor_rows_written_total', {
          pipeline: 'traffic',
          table: 'business_minutes',
        }) ?? 0;
      const rowsPerView = minuteRows / options.events;

      say('recovery: another group, killed with SIGKILL half-way, restarted');
      const crash = await recoveryAfterKill(
        services,
        trafficEnv(prefix, `${prefix}recovery`, keyspaces[1]!, RECOVERY_PORT),
        { port: RECOVERY_PORT, pipeline: 'traffic', topic, events: options.events },
      );

      const liveCount = options.liveRatePerSecond * options.liveSeconds;
      say(`live: ${liveCount} page views at ${options.liveRatePerSecond}/s with event time = now`);
      const generator = runGeneratorInBackground('traffic', topic, services.brokers, [
        ...['--count', String(liveCount), '--rate', `${options.liveRatePerSecond}/s`],
        ...['--seed', String(SEED + 1), '--no-reference-data'],
      ]);
      // The live stream's first minute closes the preloaded minutes too, minutes late by design:
      // latency is counted from the live run's second half, when only live minutes close.
      await sleep((options.liveSeconds * 1000) / 2);
      const before = histogramBuckets(await scrape(DRAIN_PORT), 'processor_event_to_store_seconds');
      await generator;
      const live = await untilTaken(DRAIN_PORT, 'traffic', topic, options.events + liveCount, processor);
      const latency = bucketsBetween(before, histogramBuckets(live.text, 'processor_event_to_store_seconds'));

      printTable(
        `traffic benchmark: ${options.events} preloaded + ${liveCount} live page views`,
        [
          ['generator (burst)', `${Math.round(options.events / preloadSeconds)} events/s`],
          ['processor drain (from its first record)', `${Math.round(drainRate)} events/s`],
          ['raw drain: ConsumerPerformance, whole run', `${Math.round(rawRate.overall)} events/s`],
          ['raw drain: ConsumerPerformance, fetching', `${Math.round(rawRate.fetching)} events/s`],
          ['processor / raw drain (whole run)', (drainRate / rawRate.overall).toFixed(2)],
          ['processor / raw drain (fetching)', (drainRate / rawRate.fetching).toFixed(2)],
          ['Node ceiling: kafkajs fetching + JSON.parse only', `${Math.round(nodeRate)} events/s`],
          [
            '  Node ceiling / raw drain (fetching; neither counts joining)',
            (nodeRate / rawRate.fetching).toFixed(2),
          ],
          ['  processor / Node ceiling', (drainRate / nodeRate).toFixed(2)],
          ...kafkaStreams.flatMap((run): [string, string][] => [
            [
              `Kafka Streams, minute counts only, ${run.name}`,
              `${Math.round(run.perSecond)} events/s (first commit ${run.secondsToFirstCommit.toFixed(1)} s after start)`,
            ],
            ['  processor / Kafka Streams', (drainRate / run.perSecond).toFixed(2)],
          ]),
          ['minute rows written (drain)', `${minuteRows}: one per ${(1 / rowsPerView).toFixed(1)} views`],
          ['  Cassandra rows/s in the drain', `${Math.round(rowsPerView * drainRate)}`],
          [
            'processor CPU in the drain',
            `${(drain.cpuSeconds / drain.seconds).toFixed(2)} cores, ${((drain.cpuSeconds / drain.counted) * 1e6).toFixed(1)} µs a view`,
          ],
          [
            '  a view’s whole budget at 0.5 of the raw drain',
            `${(1e6 / (0.5 * rawRate.overall)).toFixed(1)} µs`,
          ],
          ['peak RSS', `${(Math.max(drain.peak.rss, live.peak.rss) / 2 ** 20).toFixed(0)} MiB`],
          ['peak state entries (businesses held)', `${drain.peak.entries}`],
          ['event-to-store p50 (live)', liveLatency(0.5, latency)],
          ['event-to-store p99 (live)', liveLatency(0.99, latency)],
          ['kill -9 after', `${crash.committedAtKill} views committed`],
          ['  redone after restart', `at most one micro-batch per partition (${batchRecords} records)`],
          ['  changelog records restored', `${crash.restored} in ${crash.restoreSeconds.toFixed(1)} s`],
          ['  restart to committing again', `${crash.backSeconds.toFixed(1)} s (process start included)`],
        ],
        [
          `Kafka Streams does less than the processor here: no surge ranking and no Cassandra writes (streams/traffic/kafka-streams/TrafficMinuteCounts.java); exactly_once_v2, ${KAFKA_STREAMS_THREADS} stream thread`,
          'event-to-store runs from the middle of a minute to its row, and from a step to its top 10: a window is written when it closes, after its end plus the grace',
          'latency percentiles are estimated from the histogram buckets, as Prometheus does',
        ],
      );
    },
  );
}

/** `bench traffic`: its options, and the run. */
export function trafficBenchCommand(command: Command): void {
  command
    .description(
      'traffic stream: processor drain of preloaded page views beside Kafka ConsumerPerformance, a kafkajs ' +
        'fetch-and-parse-only drain and Kafka Streams on the same topic, peak RSS, recovery after a kill -9 at ' +
        'full speed, event-to-store latency live',
    )
    .option('--events <n>', 'page views preloaded and drained at full speed', positiveInteger, 2_000_000)
    .option('--live-rate <n>', 'page views per second in the paced live run', positiveInteger, 4000)
    .option(
      '--live-seconds <n>',
      'length of the live run in seconds (minutes close after their end plus the grace)',
      positiveInteger,
      150,
    )
    .exitOverride()
    .action(async (options: { events: number; liveRate: number; liveSeconds: number }) => {
      await benchTraffic({
        events: options.events,
        liveRatePerSecond: options.liveRate,
        liveSeconds: options.liveSeconds,
      });
    });
}
