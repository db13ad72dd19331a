/**
 * What every stream's integration tests share. Importing it registers the file's hooks: the
 * Cassandra client connects first, and once the file is done the programs it started are killed
 * and its runs' keyspaces and topics removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll } from 'vitest';
import { createKafkaClient, type ProducedRecord, type RecordProducer } from '../../common/kafka.ts';
import { projectRoot } from '../../services/config.ts';
import { registerProgram } from './programs.ts';
import { cassandraContactPoint, kafkaBrokers, uniqueName } from './services.ts';

/** What an integration test file shares: a scratch folder, clients, and the programs it started. */
export const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'integration-'));
export const cassandraClient = new cassandra.Client({
  contactPoints: [cassandraContactPoint],
  localDataCenter: 'datacenter1',
});
export const kafka = createKafkaClient({ clientId: 'integration-test', brokers: kafkaBrokers });
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

export async function stopGracefully(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
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

export async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}
