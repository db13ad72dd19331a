import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { bucketsBetween, histogramBuckets, histogramQuantile, sampleValue } from '../common/exposition.ts';
import { loadServicesConfig, projectRoot } from '../services/config.ts';

export interface HarmonyBenchOptions {
  reports: number;
  liveRatePerSecond: number;
  liveSeconds: number;
}

const METRICS_PORT = 19600;
const POLL_MS = 250;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

function runGenerator(topic: string, brokers: string, args: string[]): number {
  const began = performance.now();
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'generators/cli.ts', 'drones', '--topic', topic, '--brokers', brokers, ...args],
    { cwd: projectRoot, encoding: 'utf8' },
  );
  if (result.status !== 0)
    throw new Error(`the generator failed: ${result.stderr.trim().split('\n').at(-1)}`);
  return (performance.now() - began) / 1000;
}

/** Kafka's own consumer performance tool, from the jars the services script resolved. */
function brokerDrainRate(jarsDir: string, brokers: string, topic: string, messages: number): number {
  const result = spawnSync(
    'java',
    [
      '-cp',
      path.join(jarsDir, '*'),
      'org.apache.kafka.tools.ConsumerPerformance',
      ...['--bootstrap-server', brokers, '--topic', topic, '--messages', String(messages), '--hide-header'],
    ],
    { encoding: 'utf8' },
  );
  // One CSV line: start, end, MB, MB/s, messages, messages/s, rebalance ms, fetch ms, fetch MB/s, fetch messages/s.
  const fields = result.stdout.trim().split('\n').at(-1)?.split(',') ?? [];
  const fetchRate = Number(fields[9]);
  if (result.status !== 0 || !Number.isFinite(fetchRate)) {
    throw new Error(
      `kafka ConsumerPerformance failed: ${(result.stderr || result.stdout).trim().split('\n').at(-1)}`,
    );
  }
  return fetchRate;
}

async function scrape(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
}

/** Polls the processor's own metrics until it has taken `total` records, tracking peak RSS. */
async function untilProcessed(total: number, topic: string, processor: ChildProcess, peak: { rss: number }) {
  let firstAt: number | undefined;
  let firstCount = 0;
  for (;;) {
    if (processor.exitCode !== null) throw new Error(`the processor exited with ${processor.exitCode}`);
    const text = await scrape().catch(() => '');
    peak.rss = Math.max(peak.rss, sampleValue(text, 'process_resident_memory_bytes') ?? 0);
    const done =
      (sampleValue(text, 'processor_records_total', { topic, outcome: 'accepted' }) ?? 0) +
      (sampleValue(text, 'processor_records_total', { topic, outcome: 'late' }) ?? 0);
    if (done > 0 && firstAt === undefined) {
      firstAt = performance.now();
      firstCount = done;
    }
    if (done >= total) {
      return { seconds: (performance.now() - firstAt!) / 1000, counted: done - firstCount, text };
    }
    await sleep(POLL_MS);
  }
}

/**
 * Drives the harmony pipeline through the real services: a preloaded topic drained at full
 * speed (sustained events/s), then a paced live run (event-to-store latency), and the broker's
 * own drain rate of the same topic for reference.
 */
export async function benchHarmony(options: HarmonyBenchOptions): Promise<void> {
  const services = loadServicesConfig();
  const brokers = `${services.host}:${services.kafka.port}`;
  const contactPoint = `${services.host}:${services.cassandra.port}`;
  const jarsDir = path.join(services.dataDir, 'jars', 'kafka');
  if (!fs.existsSync(jarsDir))
    throw new Error(`no Kafka jars in ${jarsDir}: run npm run services -- up first`);
  const kafka = new Kafka({ clientId: 'bench', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch {
    throw new Error(`Kafka does not answer on ${brokers}: start the services with npm run services -- up`);
  }
  const cassandraClient = new cassandra.Client({
    contactPoints: [contactPoint],
    localDataCenter: 'datacenter1',
  });
  try {
    await cassandraClient.connect();
  } catch {
    await admin.disconnect();
    throw new Error(
      `Cassandra does not answer on ${contactPoint}: start the services with npm run services -- up`,
    );
  }

  const run = `bench_${Date.now().toString(36)}`;
  const prefix = `${run}.`;
  const topic = `${prefix}drone.reports`;
  let processor: ChildProcess | undefined;
  try {
    say(`preloading ${options.reports} reports into ${topic}`);
    const preloadSeconds = runGenerator(topic, brokers, [
      ...['--count', String(options.reports), '--rate', '1000/s', '--burst', '--seed', '1'],
    ]);
    say(`measuring the broker's own drain rate (kafka ConsumerPerformance)`);
    const brokerRate = brokerDrainRate(jarsDir, brokers, topic, options.reports);

    say('starting the processor on the preloaded topic');
    const peak = { rss: 0 };
    processor = spawn(process.execPath, ['--import', 'tsx', 'processor/main.ts'], {
      cwd: projectRoot,
      stdio: 'ignore',
      env: {
        ...process.env,
        KAFKA_BROKERS: brokers,
        CASSANDRA_CONTACT_POINTS: contactPoint,
        CASSANDRA_KEYSPACE: run,
        PROCESSOR_TOPIC_PREFIX: prefix,
        PROCESSOR_GROUP_ID: `${prefix}processor`,
        PROCESSOR_METRICS_PORT: String(METRICS_PORT),
      },
    });
    const drain = await untilProcessed(options.reports, topic, processor, peak);

    const liveCount = Math.round(options.liveRatePerSecond * options.liveSeconds);
    say(`live: ${liveCount} reports at ${options.liveRatePerSecond}/s with event time = now`);
    const before = histogramBuckets(drain.text, 'processor_event_to_store_seconds');
    runGenerator(topic, brokers, [
      '--count',
      String(liveCount),
      '--rate',
      `${options.liveRatePerSecond}/s`,
      '--seed',
      '2',
    ]);
    const live = await untilProcessed(options.reports + liveCount, topic, processor, peak);
    const latency = bucketsBetween(before, histogramBuckets(live.text, 'processor_event_to_store_seconds'));

    const rows: [string, string][] = [
      ['producer (generator, burst)', `${Math.round(options.reports / preloadSeconds)} events/s`],
      ['processor sustained (drain)', `${Math.round(drain.counted / drain.seconds)} events/s`],
      ['broker drain (ConsumerPerformance)', `${Math.round(brokerRate)} events/s`],
      ['event-to-store p50 (live)', `${(histogramQuantile(0.5, latency) * 1000).toFixed(0)} ms`],
      ['event-to-store p99 (live)', `${(histogramQuantile(0.99, latency) * 1000).toFixed(0)} ms`],
      ['processor peak RSS', `${(peak.rss / 2 ** 20).toFixed(0)} MiB`],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    process.stdout.write(`harmony benchmark: ${options.reports} preloaded + ${liveCount} live reports\n`);
    for (const [label, value] of rows) process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`);
    process.stdout.write(
      '  (latency percentiles are estimated from the histogram buckets, as Prometheus does)\n',
    );
  } finally {
    processor?.kill('SIGTERM');
    say('cleaning up the bench topics and keyspace');
    const topics = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await cassandraClient.execute(`DROP KEYSPACE IF EXISTS ${run}`).catch(() => undefined);
    await admin.disconnect();
    await cassandraClient.shutdown();
  }
}
