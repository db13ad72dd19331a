import type { Command } from 'commander';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { CassandraStore, type Row } from '../../common/cassandra.ts';
import { bucketsBetween, histogramBuckets, histogramQuantile } from '../../common/exposition.ts';
import { DAY_MS } from '../../common/time.ts';
import { droneReports } from './drones.ts';
import { harmonyRows } from './topology.ts';
import { projectRoot } from '../../services/config.ts';
import {
  brokerDrainRate,
  connectServices,
  printTable,
  takenPerSecond,
  processorEnv,
  runGenerator,
  say,
  serviceAddresses,
  startProcessor,
  untilTaken,
  withCleanup,
  configuredBatchRecords,
  positiveInteger,
} from '../../bench/support.ts';

export interface HarmonyBenchOptions {
  reports: number;
  liveRatePerSecond: number;
  liveSeconds: number;
  /** Reports per upsert call in the raw write; the processor's micro-batch by default. */
  rawChunk?: number;
  /** Only the raw Cassandra write: no Kafka, no processor. */
  rawOnly: boolean;
}

const METRICS_PORT = 19600;
// The preloaded reports, as the generator makes them: its default fleet, event times 1 ms apart.
const DRONES = 100;
const SEED = 1;
const PRELOAD_RATE_PER_SECOND = 1000;
const SCHEMA_FILE = path.join(projectRoot, 'streams/harmony/schema.cql');

/** The rows of `count` generated reports, cut into upsert calls of `chunk` reports each. */
function reportRowChunks(seed: number, start: Date, count: number, chunk: number): Row[][] {
  const reports = droneReports({ seed, drones: DRONES, start, intervalMs: 1000 / PRELOAD_RATE_PER_SECOND });
  const chunks: Row[][] = [];
  for (let taken = 0; taken < count; taken += chunk) {
    const rows: Row[] = [];
    for (let index = taken; index < Math.min(count, taken + chunk); index += 1) {
      rows.push(...harmonyRows(reports.next().value!));
    }
    chunks.push(rows);
  }
  return chunks;
}

/** Reports written untimed before the raw write, so that a Cassandra just started is warm for it. */
const WARM_UP_REPORTS = 10_000;

/**
 * The ceiling for the processor: the rows of the same reports written straight to Cassandra by
 * `CassandraStore.upsert` (the processor's own write path), one processor micro-batch per call,
 * into a fresh keyspace. Reports and rows are computed before the clock starts, and other
 * reports (another seed, a day earlier) are written first, untimed: the first writes of a
 * Cassandra just started run at half speed, and the processor, which comes later, meets a warm one.
 */
async function rawWriteRate(
  contactPoint: string,
  keyspace: string,
  start: Date,
  count: number,
  chunk: number,
) {
  const warmUp = reportRowChunks(SEED + 1, new Date(start.getTime() - DAY_MS), WARM_UP_REPORTS, chunk);
  const chunks = reportRowChunks(SEED, start, count, chunk);
  const rowCount = chunks.reduce((sum, rows) => sum + rows.length, 0);
  const store = new CassandraStore({
    contactPoints: [contactPoint],
    localDataCenter: 'datacenter1',
    keyspace,
  });
  try {
    await store.connect();
    await store.applySchema(SCHEMA_FILE, 'harmony');
    for (const rows of warmUp) await store.upsertEvery(rows);
    const began = performance.now();
    for (const rows of chunks) await store.upsertEvery(rows);
    const seconds = (performance.now() - began) / 1000;
    return { rowsPerSecond: rowCount / seconds, reportsPerSecond: count / seconds, rowCount };
  } finally {
    await store.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    await store.shutdown();
  }
}

/**
 * Drives the harmony pipeline through the real services: the raw Cassandra write rate of the
 * reports' rows (the processor's ceiling), a preloaded topic drained at full speed by the
 * processor (sustained events/s), then a paced live run (event-to-store latency), and the
 * broker's own drain rate of the same topic for reference.
 */
export async function benchHarmony(options: HarmonyBenchOptions): Promise<void> {
  const rawChunk = options.rawChunk ?? configuredBatchRecords();
  const run = `bench_${Date.now().toString(36)}`;
  const prefix = `${run}.`;
  const topic = `${prefix}drone.reports`;
  const rawKeyspace = `${run}_raw`;
  // The raw write and the preload take the same reports: same seed, fleet, rate and start.
  const start = new Date();
  const rawWrite = async () => {
    say(
      `raw write: the rows of ${options.reports} reports, ${rawChunk} reports per upsert, into ${rawKeyspace}`,
    );
    const raw = await rawWriteRate(
      serviceAddresses().contactPoint,
      rawKeyspace,
      start,
      options.reports,
      rawChunk,
    );
    const rows: [string, string][] = [
      ['raw Cassandra write (upsert)', `${Math.round(raw.reportsPerSecond)} reports/s`],
      [
        '  rows',
        `${Math.round(raw.rowsPerSecond)} rows/s (${(raw.rowCount / options.reports).toFixed(2)} a report)`,
      ],
    ];
    say(`raw write: ${rows.map(([, value]) => value).join(', ')}`);
    return { raw, rows };
  };
  if (options.rawOnly) {
    const { rows } = await rawWrite();
    printTable(`harmony benchmark (raw write only): ${options.reports} reports`, rows, []);
    return;
  }

  const services = await connectServices();
  let processor: ChildProcess | undefined;
  await withCleanup(
    services,
    prefix,
    [run, rawKeyspace],
    () => (processor === undefined ? [] : [processor]),
    async () => {
      const { raw, rows: rawRows } = await rawWrite();
      say(`preloading ${options.reports} reports into ${topic}`);
      const preloadSeconds = runGenerator('harmony', topic, services.brokers, [
        ...['--count', String(options.reports), '--rate', `${PRELOAD_RATE_PER_SECOND}/s`, '--burst'],
        ...['--seed', String(SEED), '--drones', String(DRONES), '--start', start.toISOString()],
      ]);
      say(`measuring the broker's own drain rate (kafka ConsumerPerformance)`);
      const brokerRate = brokerDrainRate(services, topic, options.reports, `${prefix}consumer-performance`);

      say('starting the processor on the preloaded topic');
      processor = startProcessor(
        services,
        processorEnv(
          'harmony',
          { prefix, group: `${prefix}processor`, port: METRICS_PORT },
          { CASSANDRA_KEYSPACE_HARMONY: run },
        ),
      );
      const drain = await untilTaken(METRICS_PORT, 'harmony', topic, options.reports, processor);
      const drainRate = takenPerSecond(drain, 'the harmony drain');

      const liveCount = Math.round(options.liveRatePerSecond * options.liveSeconds);
      say(`live: ${liveCount} reports at ${options.liveRatePerSecond}/s with event time = now`);
      const before = histogramBuckets(drain.text, 'processor_event_to_store_seconds');
      runGenerator('harmony', topic, services.brokers, [
        ...['--count', String(liveCount), '--rate', `${options.liveRatePerSecond}/s`, '--seed', '2'],
      ]);
      const live = await untilTaken(METRICS_PORT, 'harmony', topic, options.reports + liveCount, processor);
      const latency = bucketsBetween(before, histogramBuckets(live.text, 'processor_event_to_store_seconds'));

      printTable(
        `harmony benchmark: ${options.reports} preloaded + ${liveCount} live reports`,
        [
          ['producer (generator, burst)', `${Math.round(options.reports / preloadSeconds)} events/s`],
          ['processor sustained (drain)', `${Math.round(drainRate)} events/s`],
          ...rawRows,
          ['processor / raw write', `${((drainRate / raw.reportsPerSecond) * 100).toFixed(0)} %`],
          ['broker drain, ConsumerPerformance, whole run', `${Math.round(brokerRate.overall)} events/s`],
          ['broker drain, ConsumerPerformance, fetching', `${Math.round(brokerRate.fetching)} events/s`],
          ['event-to-store p50 (live)', `${(histogramQuantile(0.5, latency) * 1000).toFixed(0)} ms`],
          ['event-to-store p99 (live)', `${(histogramQuantile(0.99, latency) * 1000).toFixed(0)} ms`],
          ['processor peak RSS', `${(Math.max(drain.peak.rss, live.peak.rss) / 2 ** 20).toFixed(0)} MiB`],
        ],
        ['latency percentiles are estimated from the histogram buckets, as Prometheus does'],
      );
    },
  );
}

/** `bench harmony`: its options, and the run. */
export function harmonyBenchCommand(command: Command): void {
  command
    .description(
      'harmony stream: processor throughput against the raw Cassandra write rate of the same rows, ' +
        'event-to-store latency, peak RSS, broker drain rate',
    )
    .option(
      '--reports <n>',
      'reports preloaded and drained at full speed (and written raw)',
      positiveInteger,
      50_000,
    )
    .option('--live-rate <n>', 'reports per second in the paced live run', positiveInteger, 1000)
    .option('--live-seconds <n>', 'length of the live run in seconds', positiveInteger, 15)
    .option(
      '--raw-chunk <n>',
      "reports per upsert call in the raw write (default: the processor's micro-batch, PROCESSOR_BATCH_MAX_RECORDS)",
      positiveInteger,
    )
    .option(
      '--raw-only',
      'only the raw Cassandra write of the reports rows (CassandraStore.upsert into a fresh keyspace): ' +
        'no Kafka, no processor',
    )
    .exitOverride()
    .action(
      async (options: {
        reports: number;
        liveRate: number;
        liveSeconds: number;
        rawChunk?: number;
        rawOnly?: boolean;
      }) => {
        await benchHarmony({
          reports: options.reports,
          liveRatePerSecond: options.liveRate,
          liveSeconds: options.liveSeconds,
          ...(options.rawChunk !== undefined && { rawChunk: options.rawChunk }),
          rawOnly: options.rawOnly === true,
        });
      },
    );
}
