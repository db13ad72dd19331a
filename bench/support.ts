/** What every benchmark shares: services, the generator, Kafka's own drain tool, metrics, cleanup. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { InvalidArgumentError } from 'commander';
import { sampleValue } from '../common/exposition.ts';
import { createKafkaClient, type KafkaAdmin, type KafkaClient } from '../common/kafka.ts';
import { loadServicesConfig, projectRoot } from '../services/config.ts';
import { loadProcessorConfig } from '../processor/config.ts';

const STOP_TIMEOUT_MS = 30_000;
const CLEANUP_TIMEOUT_MS = 30_000;
const RECOVERY_POLL_MS = 250;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

export interface BenchServices {
  brokers: string;
  contactPoint: string;
  jarsDir: string;
  kafka: KafkaClient;
  admin: KafkaAdmin;
  cassandraClient: cassandra.Client;
}

/** Where the services script runs the services, from its own settings. */
export function serviceAddresses() {
  const services = loadServicesConfig();
  return {
    brokers: `${services.host}:${services.kafka.port}`,
    contactPoint: `${services.host}:${services.cassandra.port}`,
    jarsDir: path.join(services.dataDir, 'jars', 'kafka'),
    dataDir: services.dataDir,
  };
}

/** Connects to the running services, or says in one line how to start them. */
export async function connectServices(): Promise<BenchServices> {
  const { brokers, contactPoint, jarsDir } = serviceAddresses();
  if (!fs.existsSync(jarsDir))
    throw new Error(`no Kafka jars in ${jarsDir}: run npm run services -- up first`);
  const kafka = createKafkaClient({ clientId: 'bench', brokers: [brokers] });
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
  return { brokers, contactPoint, jarsDir, kafka, admin, cassandraClient };
}

/** Runs `generate -- <stream>` to the end; the seconds it took. */
export function runGenerator(stream: string, topic: string, brokers: string, args: string[]): number {
  const began = performance.now();
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'generators/cli.ts', stream, '--topic', topic, '--brokers', brokers, ...args],
    { cwd: projectRoot, encoding: 'utf8' },
  );
  if (result.status !== 0)
    throw new Error(`the generator failed: ${result.stderr.trim().split('\n').at(-1)}`);
  return (performance.now() - began) / 1000;
}

/** Starts `generate -- <stream>` beside the bench's own work; its errors on the child's stderr. */
export function spawnGenerator(stream: string, topic: string, brokers: string, args: string[]): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', 'generators/cli.ts', stream, '--topic', topic, '--brokers', brokers, ...args],
    { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** Runs `generate -- <stream>` beside the bench's own work; resolves when it has sent everything. */
export function runGeneratorInBackground(
  stream: string,
  topic: string,
  brokers: string,
  args: string[],
): Promise<void> {
  const child = spawnGenerator(stream, topic, brokers, args);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`the generator failed: ${stderr.trim().split('\n').at(-1)}`)),
    );
  });
}

/**
 * Kafka's own consumer performance tool on the same topic: events/s over its whole run (group
 * join included) and while fetching only.
 */
export function brokerDrainRate(
  services: BenchServices,
  topic: string,
  messages: number,
  group: string,
): { overall: number; fetching: number } {
  const result = spawnSync(
    'java',
    [
      '-cp',
      path.join(services.jarsDir, '*'),
      'org.apache.kafka.tools.ConsumerPerformance',
      ...[
        '--bootstrap-server',
        services.brokers,
        '--topic',
        topic,
        '--messages',
        String(messages),
        '--hide-header',
      ],
      // Named after the run (not the tool's random perf-consumer-N), so the cleanup removes it.
      ...['--group', group],
    ],
    { encoding: 'utf8' },
  );
  // One CSV line: start, end, MB, MB/s, messages, messages/s, rebalance ms, fetch ms, fetch MB/s, fetch messages/s.
  const fields = result.stdout.trim().split('\n').at(-1)?.split(',') ?? [];
  const [overall, fetching] = [Number(fields[5]), Number(fields[9])];
  if (result.status !== 0 || !Number.isFinite(overall) || !Number.isFinite(fetching)) {
    throw new Error(
      `kafka ConsumerPerformance failed: ${(result.stderr || result.stdout).trim().split('\n').at(-1)}`,
    );
  }
  return { overall, fetching };
}

/**
 * The most any Node processor could drain here: the processor's group consumer with its fetch
 * settings that reads each record's key as text and its value through JSON.parse, and nothing
 * else (no checks, state, writes or commits). Records/s from its first fetched batch.
 */
export async function nodeDecodeDrainRate(
  services: BenchServices,
  topic: string,
  messages: number,
  group: string,
): Promise<number> {
  const { runtime } = loadProcessorConfig();
  const consumer = services.kafka.groupConsumer({
    groupId: group,
    maxBytesPerPartition: runtime.fetchMaxBytesPerPartition,
  });
  await consumer.connect();
  try {
    await consumer.subscribe([topic]);
    let firstAt: number | undefined;
    let objects = 0;
    const seconds = await new Promise<number>((resolve, reject) => {
      consumer.onCrash(({ error }) => reject(error));
      consumer
        .run({
          partitionsConcurrently: runtime.partitionsConcurrently,
          eachBatch: async ({ records, resolveOffset }) => {
            firstAt ??= performance.now();
            for (const { value } of records) {
              if (typeof JSON.parse(value?.toString('utf8') ?? 'null') === 'object') objects += 1;
            }
            resolveOffset(records[records.length - 1]!.offset);
            if (objects >= messages) resolve((performance.now() - firstAt) / 1000);
          },
        })
        .catch(reject);
    });
    return objects / seconds;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * The settings of a processor instance a bench runs: its pipelines, topic prefix, consumer group
 * (which names the instance too) and metrics port, and the rest (the stream's keyspace, say).
 */
export function processorEnv(
  pipelines: string,
  { prefix, group, port }: { prefix: string; group: string; port: number },
  settings: Record<string, string>,
): Record<string, string> {
  return {
    PROCESSOR_PIPELINES: pipelines,
    PROCESSOR_TOPIC_PREFIX: prefix,
    PROCESSOR_GROUP_ID: group,
    PROCESSOR_INSTANCE_ID: group,
    PROCESSOR_METRICS_PORT: String(port),
    ...settings,
  };
}

/**
 * The processor's micro-batch bound as the processors a bench starts will have it: they inherit
 * the bench's environment, so PROCESSOR_BATCH_MAX_RECORDS or else its default.
 */
export function configuredBatchRecords(): number {
  return loadProcessorConfig().runtime.batchMaxRecords;
}

/**
 * Starts the processor with these settings on top of the services' addresses; its log goes to
 * `logFile` when one is named (for a run to be looked into afterwards), else nowhere.
 */
export function startProcessor(
  services: BenchServices,
  env: Record<string, string>,
  logFile?: string,
): ChildProcess {
  const log = logFile === undefined ? 'ignore' : fs.openSync(logFile, 'a');
  return spawn(process.execPath, ['--import', 'tsx', 'processor/main.ts'], {
    cwd: projectRoot,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      KAFKA_BROKERS: services.brokers,
      CASSANDRA_CONTACT_POINTS: services.contactPoint,
      ...env,
    },
  });
}

export async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

const POLL_MS = 250;

/** Records of a source topic a pipeline has taken (accepted or late), from its metrics. */
export async function processorProgress(
  port: number,
  pipeline: string,
  topic: string,
): Promise<{ taken: number; text: string }> {
  const text = await scrape(port).catch(() => '');
  const count = (outcome: string) =>
    sampleValue(text, 'processor_records_total', { pipeline, topic, outcome }) ?? 0;
  return { taken: count('accepted') + count('late'), text };
}

/**
 * Kills a processor with SIGKILL half-way through the topic, restarts it, and measures what the
 * crash costs: the state restored from the changelog, and the time until the new instance has
 * claimed every partition with records left and committed again. What it redoes is what was in
 * flight: at most one micro-batch per partition, fetched and processed but not committed.
 */
export async function recoveryAfterKill(
  services: BenchServices,
  env: Record<string, string>,
  { port, pipeline, topic, events }: { port: number; pipeline: string; topic: string; events: number },
) {
  const first = startProcessor(services, env);
  let committedAtKill = 0;
  while (committedAtKill < events / 2) {
    if (first.exitCode !== null) throw new Error(`the processor exited with ${first.exitCode}`);
    committedAtKill = (await processorProgress(port, pipeline, topic)).taken;
    await sleep(50);
  }
  await stopProgram(first, 'SIGKILL');
  // A task restores its state when its partition next has records: those done already never do.
  const [ends, committed] = await Promise.all([
    services.admin.topicOffsets(topic),
    services.admin.committedOffsets(`${env['PROCESSOR_GROUP_ID']}-${pipeline}`, topic),
  ]);
  const partitions = ends.filter(({ partition, high }) => {
    const offset = committed.get(partition) ?? '-1';
    // A transaction's commit marker takes the offset after its last record.
    return BigInt(high) - BigInt(offset) > 1n;
  }).length;
  const restartedAt = performance.now();
  const second = startProcessor(services, env);
  try {
    for (;;) {
      if (second.exitCode !== null) throw new Error(`the processor exited with ${second.exitCode}`);
      const now = await processorProgress(port, pipeline, topic);
      const restores = sampleValue(now.text, 'processor_state_restore_seconds_count', { pipeline }) ?? 0;
      if (restores >= partitions && now.taken > 0) {
        return {
          committedAtKill,
          restored: sampleValue(now.text, 'processor_state_restored_records_total', { pipeline }) ?? 0,
          restoreSeconds: sampleValue(now.text, 'processor_state_restore_seconds_sum', { pipeline }) ?? 0,
          backSeconds: (performance.now() - restartedAt) / 1000,
        };
      }
      await sleep(RECOVERY_POLL_MS);
    }
  } finally {
    await stopProgram(second);
  }
}

/**
 * Polls a processor's metrics until the pipeline has taken `target` records of the topic: the
 * seconds from the first one it was seen to take, how many it took since, and the peaks of its
 * memory and state seen meanwhile.
 */
export async function untilTaken(
  port: number,
  pipeline: string,
  topic: string,
  target: number,
  processor: ChildProcess,
) {
  let firstAt: number | undefined;
  let firstTaken = 0;
  let firstCpuSeconds = 0;
  const peak = { rss: 0, entries: 0 };
  for (;;) {
    if (processor.exitCode !== null) throw new Error(`the processor exited with ${processor.exitCode}`);
    const now = await processorProgress(port, pipeline, topic);
    peak.rss = Math.max(peak.rss, sampleValue(now.text, 'process_resident_memory_bytes') ?? 0);
    peak.entries = Math.max(
      peak.entries,
      sampleValue(now.text, 'processor_state_entries', { pipeline }) ?? 0,
    );
    const cpuSeconds = sampleValue(now.text, 'process_cpu_seconds_total') ?? 0;
    if (now.taken > 0 && firstAt === undefined) {
      firstAt = performance.now();
      firstTaken = now.taken;
      firstCpuSeconds = cpuSeconds;
    }
    if (now.taken >= target) {
      return {
        seconds: (performance.now() - (firstAt ?? performance.now())) / 1000,
        counted: now.taken - firstTaken,
        /** The processor's CPU time (all its threads) over the same span. */
        cpuSeconds: cpuSeconds - firstCpuSeconds,
        peak,
        text: now.text,
      };
    }
    await sleep(POLL_MS);
  }
}

/**
 * Records/s of a drain from its first record seen, for `untilTaken`'s answer. A drain that took
 * everything before its progress was first seen has no rate to give: too few records.
 */
export function takenPerSecond(drain: { counted: number; seconds: number }, what: string): number {
  if (drain.counted === 0 || drain.seconds === 0) {
    throw new Error(
      `${what}: everything was taken before progress was first seen; give the bench more records`,
    );
  }
  return drain.counted / drain.seconds;
}

/** Stops a program and waits until it has exited: until then its clients may re-create topics. */
export async function stopProgram(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => {
    say(`a program did not stop within ${STOP_TIMEOUT_MS / 1000} s of ${signal}: killing it`);
    child.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** What is left of a run: topics and consumer groups under its prefix, its keyspaces. */
async function leftovers(services: BenchServices, prefix: string, keyspaces: string[]): Promise<string[]> {
  const { admin, cassandraClient } = services;
  const found = (await admin.listTopics())
    .filter((name) => name.startsWith(prefix))
    .map((name) => `topic ${name}`);
  const groups = await admin.listGroups();
  found.push(...groups.filter((groupId) => groupId.startsWith(prefix)).map((groupId) => `group ${groupId}`));
  const result = await cassandraClient.execute('SELECT keyspace_name FROM system_schema.keyspaces');
  const names = new Set(result.rows.map((row) => row['keyspace_name'] as string));
  found.push(...keyspaces.filter((name) => names.has(name)).map((name) => `keyspace ${name}`));
  return found;
}

/**
 * Removes everything of the run, its programs being stopped first, and checks that nothing is
 * left (topic deletion is asynchronous in the broker: it is polled). Returns what remains.
 */
export async function cleanUp(
  services: BenchServices,
  prefix: string,
  keyspaces: string[],
): Promise<string[]> {
  const { admin, cassandraClient } = services;
  const deadline = Date.now() + CLEANUP_TIMEOUT_MS;
  for (;;) {
    const topics = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics(topics).catch(() => undefined);
    const groupIds = (await admin.listGroups()).filter((groupId) => groupId.startsWith(prefix));
    if (groupIds.length > 0) await admin.deleteGroups(groupIds).catch(() => undefined);
    for (const keyspace of keyspaces) {
      await cassandraClient.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
    }
    await sleep(1000);
    const left = await leftovers(services, prefix, keyspaces);
    if (left.length === 0 || Date.now() >= deadline) return left;
  }
}

export async function disconnectServices(services: BenchServices): Promise<void> {
  await services.admin.disconnect();
  await services.cassandraClient.shutdown();
}

export function printTable(title: string, rows: [string, string][], notes: string[]): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  process.stdout.write(`${title}\n`);
  for (const [label, value] of rows) process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`);
  for (const note of notes) process.stdout.write(`  (${note})\n`);
}

/**
 * Runs a bench's measurements, then always stops its programs and removes what it made; a
 * failure of the bench is the error reported, and leftovers an error of their own.
 */
export async function withCleanup(
  services: BenchServices,
  prefix: string,
  keyspaces: string[],
  programs: () => ChildProcess[],
  measure: () => Promise<void>,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  try {
    await measure();
  } catch (error) {
    failure = { error };
  }
  for (const program of programs()) await stopProgram(program);
  say('cleaning up the bench topics, groups and keyspaces');
  const left = await cleanUp(services, prefix, keyspaces).catch((error: Error) => [
    `(the cleanup check failed: ${error.message})`,
  ]);
  await disconnectServices(services);
  const leftMessage = `the run left behind: ${left.join(', ')}`;
  if (failure !== undefined) {
    if (left.length > 0) say(leftMessage);
    throw failure.error;
  }
  if (left.length > 0) throw new Error(leftMessage);
}

/** A commander option parser for a count: a positive integer, or the one-line reason it is not. */
export function positiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1) throw new InvalidArgumentError(`a positive integer, got '${text}'`);
  return value;
}
