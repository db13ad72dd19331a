import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, expect } from 'vitest';
import { createKafkaClient, type ProducedRecord, type RecordProducer } from '../../common/kafka.ts';
import { projectRoot } from '../../services/config.ts';
import type { DroneReport } from '../../schemas/harmony.ts';
import { registerProgram } from './programs.ts';
import { cassandraContactPoint, kafkaBrokers, uniqueName } from './services.ts';

/** What a harmony test shares: a scratch folder, clients, and the programs it started. */
export const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'harmony-'));
export const cassandraClient = new cassandra.Client({
  contactPoints: [cassandraContactPoint],
  localDataCenter: 'datacenter1',
});
export const kafka = createKafkaClient({ clientId: 'harmony-test', brokers: kafkaBrokers });
const running = new Set<ChildProcess>();

/**
 * A producer for what a test sends itself. Idempotent: a client may retry a whole request when
 * one of its partitions fails (a leader not elected yet on a fresh broker), and without sequence
 * numbers the partitions that had succeeded would get their messages twice.
 */
export function testProducer(): RecordProducer {
  return kafka.producer();
}

/** A test's records of one topic, as a producer sends them. */
export function inTopic(topic: string, records: Omit<ProducedRecord, 'topic'>[]): ProducedRecord[] {
  return records.map((record) => ({ topic, ...record }));
}

beforeAll(async () => {
  await cassandraClient.connect();
});

afterAll(async () => {
  await Promise.all(
    [...running].map((child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      return exited;
    }),
  );
  // Housekeeping, not a check: a failure to tidy up is said, and fails no test.
  await removeRunData().catch((error: unknown) =>
    console.warn(`could not remove this file's test data: ${error}`),
  );
  await cassandraClient.shutdown();
  fs.rmSync(workDir, { recursive: true, force: true });
});

let runCounter = 0;
const runs: { prefix: string; keyspace: string }[] = [];

/** Topics under a fresh prefix and a fresh keyspace: no test sees another's data. */
export function isolatedRun() {
  const prefix = `${uniqueName('t')}.`;
  runCounter += 1;
  const run = { prefix, keyspace: `${prefix.slice(0, -1).replace(/\./g, '_')}_${runCounter}` };
  runs.push(run);
  return run;
}

/**
 * Drops the keyspaces (a run's own and those named after it, `<keyspace>_traffic` say) and
 * deletes the topics of this file's runs once its programs have exited, so that a developer's
 * services do not gather a few hundred tables and topics a run.
 */
async function removeRunData(): Promise<void> {
  if (runs.length === 0) return;
  const ours = (name: string, own: string) => name === own || name.startsWith(`${own}_`);
  const keyspaces = await cassandraClient.execute('SELECT keyspace_name FROM system_schema.keyspaces');
  for (const { keyspace_name: name } of keyspaces.rows as unknown as { keyspace_name: string }[]) {
    if (runs.some(({ keyspace }) => ours(name, keyspace))) {
      await cassandraClient.execute(`DROP KEYSPACE IF EXISTS ${name}`);
    }
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) =>
      runs.some(({ prefix }) => topic.startsWith(prefix)),
    );
    if (topics.length > 0) await admin.deleteTopics(topics);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Runs the drones generator as a user would, with --out: the file is the test's truth.
 * Burst mode with event times spaced at 100/min, ending a few minutes ago, so the reports
 * cover many one-minute buckets without waiting for them.
 */
export function generateReports(topic: string, count: number, seed: number): DroneReport[] {
  const out = path.join(workDir, `${uniqueName('reports')}.jsonl`);
  const start = new Date(Date.now() - (count / 100) * 60_000 - 5 * 60_000);
  start.setUTCSeconds(0, 0);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'generators/cli.ts',
      'drones',
      ...['--count', String(count), '--seed', String(seed), '--rate', '100/min', '--burst'],
      ...[
        '--start',
        start.toISOString(),
        '--out',
        out,
        '--topic',
        topic,
        '--brokers',
        kafkaBrokers.join(','),
      ],
    ],
    { cwd: projectRoot, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`generator failed (${result.status}): ${result.stderr}`);
  return fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as DroneReport);
}

/** Starts one of the project's entry points with its stderr kept in the scratch folder. */
export function startProgram(entry: string, env: Record<string, string>, logName: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: projectRoot,
    env: {
      ...process.env,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      CASSANDRA_CONTACT_POINTS: cassandraContactPoint,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => fs.appendFileSync(path.join(workDir, logName), chunk));
  running.add(child);
  registerProgram(child.pid!);
  child.once('exit', (code) => {
    running.delete(child);
    // Killed by a signal or stopped cleanly is what the tests do; anything else is a failure
    // whose cause is in the log, which goes with the scratch folder once the file is done.
    if (code !== null && code !== 0) {
      console.error(`${entry} exited with code ${code}; the end of its log:\n${programLog(logName, 4000)}`);
    }
  });
  return child;
}

/** A started program's log, or its last `tailChars` characters. */
export function programLog(logName: string, tailChars = Infinity): string {
  const file = path.join(workDir, logName);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').slice(-tailChars) : '';
}

/** A processor running some pipelines of this run: its topic prefix, consumer groups and metrics port. */
export function startPipelines(
  pipelines: string,
  { prefix, instance, port }: { prefix: string; instance: string; port: number },
  settings: Record<string, string>,
  logName: string,
): ChildProcess {
  return startProgram(
    'processor/main.ts',
    {
      PROCESSOR_PIPELINES: pipelines,
      PROCESSOR_TOPIC_PREFIX: prefix,
      PROCESSOR_GROUP_ID: `${prefix}processor`,
      PROCESSOR_INSTANCE_ID: instance,
      PROCESSOR_METRICS_PORT: String(port),
      ...settings,
    },
    logName,
  );
}

export function startProcessor(
  prefix: string,
  keyspace: string,
  metricsPort: number,
  batchMaxRecords = 500,
  settings: Record<string, string> = {},
): ChildProcess {
  return startProgram(
    'processor/main.ts',
    {
      PROCESSOR_TOPIC_PREFIX: prefix,
      CASSANDRA_KEYSPACE: keyspace,
      PROCESSOR_GROUP_ID: `${prefix}processor`,
      PROCESSOR_INSTANCE_ID: 'test',
      PROCESSOR_METRICS_PORT: String(metricsPort),
      PROCESSOR_BATCH_MAX_RECORDS: String(batchMaxRecords),
      ...settings,
    },
    settings.PROCESSOR_INSTANCE_ID === undefined
      ? 'processor.log'
      : `processor-${settings.PROCESSOR_INSTANCE_ID}.log`,
  );
}

export async function stopGracefully(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

export async function storedReportIds(keyspace: string): Promise<string[]> {
  // The test keyspace holds one run's few thousand rows: one page reads them all.
  const result = await cassandraClient.execute(`SELECT report_id FROM ${keyspace}.reports`, [], {
    fetchSize: 100_000,
  });
  return result.rows.map((row) => row.report_id as string);
}

/** Polls until done; a read that fails (a keyspace not created yet, say) counts as not done. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if ((value !== undefined && done(value)) || Date.now() >= deadline) {
      if (value === undefined) throw new Error(`waitFor: still failing after ${timeoutMs} ms`);
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * Reads a topic with read_committed, as any downstream reader would: until the expected
 * count arrived, then a few seconds more so that a duplicate would be seen too.
 */
export async function committedMessages(topic: string, expected: number): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  // The program under test creates its topics when it starts; a subscription must not race it.
  await waitFor(
    () => admin.listTopics(),
    (topics) => topics.includes(topic),
    60_000,
  );
  await admin.disconnect();
  const consumer = kafka.groupConsumer({ groupId: uniqueName('reader') });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe([topic]);
  await consumer.run({
    eachBatch: async ({ records, resolveOffset }) => {
      for (const { offset, value } of records) {
        values.push(value!.toString());
        resolveOffset(offset);
      }
    },
  });
  await waitFor(
    async () => values.length,
    (count) => count >= expected,
    60_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await consumer.disconnect();
  return values;
}

export const isDistressed = (report: DroneReport): boolean =>
  report.persons.some((person) => person.harmony_score < 2);

/** Every report of the file stored once, nothing else, and one alert per distressed report on the alert topic. */
export async function expectExactlyTheSentFacts(prefix: string, keyspace: string, sent: DroneReport[]) {
  const ids = await waitFor(
    () => storedReportIds(keyspace),
    (stored) => stored.length >= sent.length,
    120_000,
  );
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(sent.map((report) => report.report_id).sort());

  const expectedAlerts = sent
    .filter(isDistressed)
    .map((report) => report.report_id)
    .sort();
  expect(expectedAlerts.length).toBeGreaterThan(0);
  const alerts = await committedMessages(`${prefix}harmony.alerts`, expectedAlerts.length);
  expect(alerts.map((alert) => (JSON.parse(alert) as { alert_id: string }).alert_id).sort()).toEqual(
    expectedAlerts,
  );
}

export async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}
