/**
 * The flights pipeline through the real services: a preloaded topic drained by a fresh processor,
 * beside Kafka's own drain of the same topic and the topology's pure work on the same records in
 * memory (no Kafka, no Cassandra), and the cost of a kill -9 half-way.
 */
import type { Command } from 'commander';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { sampleValue } from '../../common/exposition.ts';
import type { SourceRecord } from '../../common/records.ts';
import { Task } from '../../processor/dsl/task.ts';
import { createFlightsTopology } from './topology.ts';
import { FLIGHTS_RECORDS_TOPIC, type FlightRecord } from './schema.ts';
import {
  brokerDrainRate,
  connectServices,
  printTable,
  takenPerSecond,
  processorEnv,
  processorProgress,
  runGenerator,
  say,
  sleep,
  startProcessor,
  stopProgram,
  untilTaken,
  withCleanup,
  type BenchServices,
  configuredBatchRecords,
  positiveInteger,
} from '../../bench/support.ts';

export interface FlightsBenchOptions {
  flights: number;
}

const SEED = 4;
const START = '2026-03-01T00:00:00Z';
const DRAIN_PORT = 20000;
const RECOVERY_PORT = 20001;
const POLL_MS = 250;
const GRACE_MS = 7_200_000;

const flightsEnv = (prefix: string, group: string, keyspace: string, port: number) =>
  processorEnv(
    'flights',
    { prefix, group, port },
    {
      CASSANDRA_KEYSPACE_FLIGHTS: keyspace,
      FLIGHTS_GRACE_SECONDS: String(GRACE_MS / 1000),
    },
  );

/**
 * The topology alone on the same records: one task per partition (keyed by airline, 3 of them)
 * running the processor's micro-batches, its effects (rows, changelog) made and dropped.
 */
function pureRate(file: string, batchRecords: number): number {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const node = createFlightsTopology(new Registry(), { graceMs: GRACE_MS }).sources[0]!;
  const topics = { name: (topic: string) => topic, deadLetters: 'dlq', late: 'late', changelog: 'changelog' };
  const tasks = [0, 1, 2].map((partition) => new Task(node, partition, 3, topics));
  const partitionOf = new Map<string, number>();
  const batches = tasks.map((): SourceRecord[] => []);
  // Keyed beforehand, as the generator keys them: the timing is the topology's work alone.
  const airlines = lines.map((line) => (JSON.parse(line) as FlightRecord).airline);
  let rows = 0;
  const began = performance.now();
  lines.forEach((line, offset) => {
    const airline = airlines[offset]!;
    if (!partitionOf.has(airline)) partitionOf.set(airline, partitionOf.size % tasks.length);
    const partition = partitionOf.get(airline)!;
    const batch = batches[partition]!;
    batch.push({
      topic: FLIGHTS_RECORDS_TOPIC,
      partition,
      offset: String(offset),
      key: airline,
      value: Buffer.from(line),
    });
    if (batch.length === batchRecords || offset === lines.length - 1) {
      for (const [index, pending] of batches.entries()) {
        if (pending.length === 0) continue;
        rows += tasks[index]!.runBatch(pending.splice(0)).rows.length;
      }
    }
  });
  const seconds = (performance.now() - began) / 1000;
  if (rows === 0) throw new Error('the topology wrote no rows');
  return lines.length / seconds;
}

const ended = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** Whether the processor on `port` has consumed every partition of the topic to its end (its lag gauges). */
function caughtUp(text: string, topic: string, partitions: number): boolean {
  const lags = [...Array(partitions).keys()].map((partition) =>
    sampleValue(text, 'processor_consumer_lag', { topic, partition: String(partition), pipeline: 'flights' }),
  );
  return lags.every((lag) => lag === 0);
}

/**
 * Kills a processor with SIGKILL half-way through the topic, restarts it, and measures what the
 * crash costs: the state restored from the changelog, and the time until the new instance
 * commits again. Keyed by 15 airlines, a partition may be done before the kill: the restarted
 * instance claims (and restores) only those with records left, so it is followed to the end.
 */
async function recovery(
  services: BenchServices,
  prefix: string,
  topic: string,
  keyspace: string,
  flights: number,
) {
  const group = `${prefix}recovery`;
  const env = flightsEnv(prefix, group, keyspace, RECOVERY_PORT);
  const partitions = (await services.admin.topicOffsets(topic)).length;
  const first = startProcessor(services, env);
  let committedAtKill = 0;
  while (committedAtKill < flights / 2) {
    if (ended(first)) throw new Error(`the processor ended (${first.exitCode ?? first.signalCode})`);
    committedAtKill = (await processorProgress(RECOVERY_PORT, 'flights', topic)).taken;
    await sleep(50);
  }
  await stopProgram(first, 'SIGKILL');
  const restartedAt = performance.now();
  const second = startProcessor(services, env);
  let backSeconds: number | undefined;
  try {
    for (;;) {
      if (ended(second)) throw new Error(`the processor ended (${second.exitCode ?? second.signalCode})`);
      const now = await processorProgress(RECOVERY_PORT, 'flights', topic);
      if (backSeconds === undefined && now.taken > 0) backSeconds = (performance.now() - restartedAt) / 1000;
      if (backSeconds !== undefined && caughtUp(now.text, topic, partitions)) {
        return {
          committedAtKill,
          redone: committedAtKill + now.taken - flights,
          restored:
            sampleValue(now.text, 'processor_state_restored_records_total', { pipeline: 'flights' }) ?? 0,
          restoreSeconds:
            sampleValue(now.text, 'processor_state_restore_seconds_sum', { pipeline: 'flights' }) ?? 0,
          backSeconds,
        };
      }
      await sleep(POLL_MS);
    }
  } finally {
    await stopProgram(second);
  }
}

export async function benchFlights(options: FlightsBenchOptions): Promise<void> {
  const batchRecords = configuredBatchRecords();
  const services = await connectServices();
  const run = `bench_${Date.now().toString(36)}`;
  const prefix = `${run}.`;
  const topic = `${prefix}flights.records`;
  const keyspaces = [`${run}_drain`, `${run}_recovery`];
  const file = path.join(os.tmpdir(), `${run}-flights.jsonl`);
  let processor: ChildProcess | undefined;
  await withCleanup(
    services,
    prefix,
    keyspaces,
    () => (processor === undefined ? [] : [processor]),
    async () => {
      say(
        `preloading ${options.flights} flights into ${topic} (the default 15 a minute of scheduled departures)`,
      );
      const preloadSeconds = runGenerator('flights', topic, services.brokers, [
        ...[
          '--count',
          String(options.flights),
          '--burst',
          '--seed',
          String(SEED),
          '--start',
          START,
          '--out',
          file,
        ],
      ]);
      say('the topology alone on the same records, in memory');
      const pure = pureRate(file, batchRecords);
      fs.rmSync(file, { force: true });
      say("measuring Kafka's own drain of the same topic (ConsumerPerformance)");
      const rawRate = brokerDrainRate(services, topic, options.flights, `${prefix}consumer-performance`);

      say('a fresh processor drains the topic');
      processor = startProcessor(services, flightsEnv(prefix, `${prefix}drain`, keyspaces[0]!, DRAIN_PORT));
      const drain = await untilTaken(DRAIN_PORT, 'flights', topic, options.flights, processor);
      const drainRate = takenPerSecond(drain, 'the flights drain');
      await stopProgram(processor);

      say('recovery: another group, killed with SIGKILL half-way, restarted');
      const crash = await recovery(services, prefix, topic, keyspaces[1]!, options.flights);

      printTable(
        `flights benchmark: ${options.flights} preloaded flights`,
        [
          ['generator (burst)', `${Math.round(options.flights / preloadSeconds)} flights/s`],
          ['processor drain (from its first record)', `${Math.round(drainRate)} flights/s`],
          ['raw drain: ConsumerPerformance, whole run', `${Math.round(rawRate.overall)} flights/s`],
          ['raw drain: ConsumerPerformance, fetching', `${Math.round(rawRate.fetching)} flights/s`],
          ['topology alone, in memory (same batches)', `${Math.round(pure)} flights/s`],
          ['processor / raw drain (whole run)', (drainRate / rawRate.overall).toFixed(2)],
          ['peak RSS', `${(drain.peak.rss / 2 ** 20).toFixed(0)} MiB`],
          ['peak state entries (airline-days and route parts held)', `${drain.peak.entries}`],
          ['kill -9 after', `${crash.committedAtKill} flights committed`],
          [
            '  redone after restart',
            `${crash.redone} flights (at most a micro-batch of ${batchRecords} per partition)`,
          ],
          ['  changelog records restored', `${crash.restored} in ${crash.restoreSeconds.toFixed(1)} s`],
          ['  restart to committing again', `${crash.backSeconds.toFixed(1)} s (process start included)`],
        ],
        [
          'state holds the open days only: a day is evicted once it closes (its end plus the grace of 2 h of stream time)',
          'the topology alone is the pure work (decode, aggregate, quantiles) without Kafka transactions or Cassandra writes',
        ],
      );
    },
  );
}

/** `bench flights`: its options, and the run. */
export function flightsBenchCommand(command: Command): void {
  command
    .description(
      'flights stream: processor drain of preloaded flights beside Kafka ConsumerPerformance on the same topic and ' +
        'the topology alone in memory, peak RSS and state, recovery after a kill -9 half-way',
    )
    .option('--flights <n>', 'flights preloaded and drained at full speed', positiveInteger, 200_000)
    .exitOverride()
    .action(async (options: { flights: number }) => {
      await benchFlights({ flights: options.flights });
    });
}
