import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { projectRoot } from '../../services/config.ts';
import { cassandraContactPoint, kafkaBrokers, runServices, uniqueName } from './services.ts';

interface SentReport {
  report_id: string;
  persons: { harmony_score: number }[];
}

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'harmony-'));
const cassandraClient = new cassandra.Client({
  contactPoints: [cassandraContactPoint],
  localDataCenter: 'datacenter1',
});
const kafka = new Kafka({ clientId: 'harmony-test', brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
const running = new Set<ChildProcess>();

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await cassandraClient.shutdown();
  fs.rmSync(workDir, { recursive: true, force: true });
});

/**
 * Reports with known content, sent with a plain producer: every tenth report has a person
 * in distress, so the expected alerts are known without trusting any code under test.
 */
async function sendReports(topic: string, runId: string, count: number): Promise<SentReport[]> {
  const start = Date.now() - 60_000;
  const reports = Array.from({ length: count }, (_, index) => ({
    report_id: `${runId}-r${index}`,
    drone_id: `drone-${index % 20}`,
    lat: 48.85 + (index % 7) / 100,
    lon: 2.35 - (index % 5) / 100,
    event_time: new Date(start + index * 10).toISOString(),
    persons: [0, 1, 2].map((slot) => ({
      person_id: `p-${(index * 3 + slot) % 500}`,
      first_name: 'Ada',
      last_name: `Person${slot}`,
      harmony_score: index % 10 === 0 && slot === 1 ? 1.5 : 6 + slot,
      words: [
        index % 10 === 0 && slot === 1 ? 'I will not stand for this injustice' : 'I feel so happy today',
      ],
    })),
  }));
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  for (let first = 0; first < count; first += 500) {
    await producer.send({
      topic,
      acks: -1,
      messages: reports
        .slice(first, first + 500)
        .map((report) => ({ key: report.drone_id, value: JSON.stringify(report) })),
    });
  }
  await producer.disconnect();
  return reports;
}

function startProcessor(
  prefix: string,
  keyspace: string,
  metricsPort: number,
  batchMaxRecords = 500,
): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'processor/main.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      PROCESSOR_TOPIC_PREFIX: prefix,
      CASSANDRA_KEYSPACE: keyspace,
      PROCESSOR_GROUP_ID: `${prefix}processor`,
      PROCESSOR_INSTANCE_ID: 'test',
      PROCESSOR_METRICS_PORT: String(metricsPort),
      PROCESSOR_BATCH_MAX_RECORDS: String(batchMaxRecords),
      KAFKA_BROKERS: kafkaBrokers.join(','),
      CASSANDRA_CONTACT_POINTS: cassandraContactPoint,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => fs.appendFileSync(path.join(workDir, 'processor.log'), chunk));
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function storedReportIds(keyspace: string): Promise<string[]> {
  // The test keyspace holds one run's few thousand rows: one page reads them all.
  const result = await cassandraClient.execute(`SELECT report_id FROM ${keyspace}.reports`, [], {
    fetchSize: 100_000,
  });
  return result.rows.map((row) => row.report_id as string);
}

/** Polls until done; a read that fails (a keyspace not created yet, say) counts as not done. */
async function waitFor<T>(
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
async function committedMessages(topic: string, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted: false });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.push(message.value!.toString());
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

let keyspaceCounter = 0;
function isolatedRun() {
  const prefix = `${uniqueName('t')}.`;
  keyspaceCounter += 1;
  return { prefix, keyspace: `${prefix.slice(0, -1).replace(/\./g, '_')}_${keyspaceCounter}` };
}

beforeAll(async () => {
  await cassandraClient.connect();
});

async function expectExactlyTheSentFacts(prefix: string, keyspace: string, sent: SentReport[]) {
  const ids = await waitFor(
    () => storedReportIds(keyspace),
    (stored) => stored.length >= sent.length,
    120_000,
  );
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(sent.map((report) => report.report_id).sort());

  const expectedAlerts = sent
    .filter((report) => report.persons.some((person) => person.harmony_score < 2))
    .map((report) => report.report_id)
    .sort();
  expect(expectedAlerts.length).toBeGreaterThan(0);
  const alerts = await committedMessages(`${prefix}harmony.alerts`, expectedAlerts.length);
  expect(alerts.map((alert) => (JSON.parse(alert) as { alert_id: string }).alert_id).sort()).toEqual(
    expectedAlerts,
  );
}

test('2000 reports: every report stored once, one alert per distressed report', async () => {
  const { prefix, keyspace } = isolatedRun();
  const sent = await sendReports(`${prefix}drone.reports`, prefix, 2000);
  expect(sent).toHaveLength(2000);
  const processor = startProcessor(prefix, keyspace, 19464);
  await expectExactlyTheSentFacts(prefix, keyspace, sent);

  const metrics = await (await fetch('http://127.0.0.1:19464/metrics')).text();
  expect(metrics).toMatch(/processor_records_total\{topic="[^"]+",outcome="accepted"\} 2000/);
  expect(metrics).toMatch(/harmony_alerts_total \d+/);
  processor.kill('SIGTERM');
  const exitCode = await new Promise((resolve) => processor.once('exit', resolve));
  expect(exitCode).toBe(0);
});

test('killed with SIGKILL three times mid-run and restarted: the same reports and alerts, exactly once', async () => {
  const { prefix, keyspace } = isolatedRun();
  const sent = await sendReports(`${prefix}drone.reports`, prefix, 2000);
  for (let kill = 0; kill < 3; kill += 1) {
    // Small batches, so that a kill lands between the Cassandra writes and the Kafka commit.
    const processor = startProcessor(prefix, keyspace, 19474 + kill, 20);
    // Wait until it is storing, then kill it at a random moment within the next second or two.
    await waitFor(
      () => storedReportIds(keyspace),
      (stored) => stored.length > kill * 300,
      90_000,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 1500)));
    processor.kill('SIGKILL');
    await new Promise((resolve) => processor.once('exit', resolve));
  }
  const last = startProcessor(prefix, keyspace, 19484);
  await expectExactlyTheSentFacts(prefix, keyspace, sent);
  last.kill('SIGTERM');
  await new Promise((resolve) => last.once('exit', resolve));
}, 420_000);

test('500 malformed messages of varied kinds: all in the DLQ with reasons, the good ones around them stored', async () => {
  const { prefix, keyspace } = isolatedRun();
  const good = await sendReports(`${prefix}drone.reports`, prefix, 300);
  const valid = good[0]!;
  const malformed = [
    () => '{"report_id": "truncated',
    () => 'not json at all',
    () => JSON.stringify({ ...valid, drone_id: undefined }),
    () => JSON.stringify({ ...valid, lat: 123.4 }),
    () => JSON.stringify({ ...valid, persons: [{ ...valid.persons[0], harmony_score: -3 }] }),
    () => JSON.stringify({ ...valid, event_time: 42 }),
    () => JSON.stringify({ ...valid, padding: 'x'.repeat(70_000) }),
    () => JSON.stringify([1, 2, 3]),
  ];
  const producer = kafka.producer();
  await producer.connect();
  const badMessages = Array.from({ length: 500 }, (_, index) => ({
    key: `bad-${index}`,
    value: malformed[index % malformed.length]!(),
  }));
  // Small sends: the oversized messages together would exceed the broker's 1 MB request limit.
  for (let first = 0; first < badMessages.length; first += 8) {
    await producer.send({ topic: `${prefix}drone.reports`, messages: badMessages.slice(first, first + 8) });
  }
  await producer.disconnect();
  const more = await sendReports(`${prefix}drone.reports`, `${prefix}after`, 300);

  const processor = startProcessor(prefix, keyspace, 19494);
  await expectExactlyTheSentFacts(prefix, keyspace, [...good, ...more]);
  const deadLetters = (await committedMessages(`${prefix}drone.reports.dlq`, 500)).map(
    (letter) =>
      JSON.parse(letter) as { reason: string; origin: { topic: string; offset: string; key: string } },
  );
  expect(deadLetters).toHaveLength(500);
  expect(new Set(deadLetters.map((letter) => letter.origin.key)).size).toBe(500);
  for (const letter of deadLetters) {
    expect(letter.reason).toMatch(/^(invalid JSON|invalid field|oversized message)/);
    expect(letter.origin.topic).toBe(`${prefix}drone.reports`);
  }
  expect(processor.exitCode).toBeNull();
  const metrics = await (await fetch('http://127.0.0.1:19494/metrics')).text();
  expect(metrics).toMatch(/processor_records_total\{topic="[^"]+",outcome="rejected"\} 500\n/);
  processor.kill('SIGTERM');
  await new Promise((resolve) => processor.once('exit', resolve));
});

test('Cassandra stopped for 30 s mid-run: nothing lost, the processor pauses and resumes by itself', async () => {
  const { prefix, keyspace } = isolatedRun();
  const before = await sendReports(`${prefix}drone.reports`, `${prefix}before`, 500);
  const processor = startProcessor(prefix, keyspace, 19504);
  await waitFor(
    () => storedReportIds(keyspace),
    (stored) => stored.length === before.length,
    120_000,
  );

  const down = runServices('down', 'cassandra');
  expect(down.output, 'the services script must own Cassandra for this test').toMatch(/cassandra: stopped/);
  const during = await sendReports(`${prefix}drone.reports`, `${prefix}during`, 500);
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  const paused = await (await fetch('http://127.0.0.1:19504/metrics')).text();
  expect(paused).toMatch(/processor_paused 1\n/);
  expect(runServices('up', 'cassandra').status).toBe(0);
  // The test's own driver reconnects on its own schedule, like the processor's.
  await waitFor(
    () => cassandraClient.execute('SELECT release_version FROM system.local').then(() => true),
    (reconnected) => reconnected,
    60_000,
  );

  await expectExactlyTheSentFacts(prefix, keyspace, [...before, ...during]);
  expect(processor.exitCode).toBeNull();
  const resumed = await (await fetch('http://127.0.0.1:19504/metrics')).text();
  expect(resumed).toMatch(/processor_paused 0\n/);
  expect(resumed).toMatch(/processor_write_errors_total\{sink="cassandra"\} [1-9]/);
  processor.kill('SIGTERM');
  await new Promise((resolve) => processor.once('exit', resolve));
}, 400_000);
