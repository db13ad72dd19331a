import { expect, test } from 'vitest';
import { sampleValue } from '../../../common/exposition.ts';
import type { DroneReport } from '../schema.ts';
import {
  cassandraClient,
  committedMessages,
  isolatedRun,
  metricsText,
  startProgram,
  stopGracefully,
  waitFor,
  testProducer,
  inTopic,
} from '../../../tests/support/harness.ts';
import { runServices } from '../../../tests/support/services.ts';
import {
  expectExactlyTheSentFacts,
  generateReports,
  isDistressed,
  startProcessor,
  storedReportIds,
} from './support.ts';

const readiness = async (port: number) => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
const becomesReady = (port: number) =>
  waitFor(
    () => readiness(port),
    (status) => status === 200,
    60_000,
  );

test('generate --count 2000 --seed 7: every report of the file stored once, one alert per distressed report', async () => {
  const { prefix, keyspace } = isolatedRun();
  const sent = generateReports(`${prefix}drone.reports`, 2000, 7);
  expect(sent).toHaveLength(2000);
  const processor = startProcessor(prefix, keyspace, 19464);
  await expectExactlyTheSentFacts(prefix, keyspace, sent);

  // Every metric the processor serves, against what the file says.
  const topic = `${prefix}drone.reports`;
  const scores = sent.flatMap((report) => report.persons.map((person) => person.harmony_score));
  const metrics = await waitFor(
    () => metricsText(19464),
    (text) => sampleValue(text, 'processor_consumer_lag', { topic, partition: '0' }) === 0,
    30_000,
  );
  const sample = (name: string, labels?: Record<string, string>) => sampleValue(metrics, name, labels);
  expect(sample('processor_records_total', { topic, outcome: 'accepted' })).toBe(2000);
  expect(sample('processor_records_total', { topic, outcome: 'rejected' })).toBe(0);
  expect(sample('processor_records_total', { topic, outcome: 'late' })).toBe(0);
  expect(sample('processor_dead_letters_total', { topic })).toBe(0);
  expect(sample('processor_batch_duration_seconds_count')).toBeGreaterThanOrEqual(4);
  expect(sample('processor_event_to_store_seconds_count')).toBe(2000);
  // Event times end five minutes before the run: every report is older than that when stored.
  expect(sample('processor_event_to_store_seconds_bucket', { le: '60' })).toBe(0);
  for (const partition of ['0', '1', '2']) {
    expect(sample('processor_consumer_lag', { topic, partition })).toBe(0);
  }
  expect(sample('processor_paused')).toBe(0);
  // One instance alone claims each of the three partitions (again after a failed commit, if
  // any), and nobody fences it.
  expect(sample('processor_partition_claims_total', { topic })).toBeGreaterThanOrEqual(3);
  expect(sample('processor_partition_claims_total', { topic })).toBeLessThanOrEqual(
    3 + sample('processor_write_errors_total', { sink: 'kafka' })!,
  );
  expect(sample('processor_fenced_commits_total', { topic })).toBe(0);
  expect(sample('harmony_alerts_total')).toBe(sent.filter(isDistressed).length);
  expect(sample('harmony_score_count')).toBe(scores.length);
  expect(sample('harmony_score_sum')).toBeCloseTo(
    scores.reduce((sum, score) => sum + score, 0),
    6,
  );
  for (const bound of [0, 1, 2, 5, 10]) {
    expect(sample('harmony_score_bucket', { le: String(bound) })).toBe(
      scores.filter((score) => score <= bound).length,
    );
  }
  expect(sample('process_cpu_seconds_total')).toBeGreaterThan(0);
  expect(sample('nodejs_eventloop_lag_seconds')).toBeDefined();
  expect(await (await fetch('http://127.0.0.1:19464/readyz')).text()).toBe('ready');
  expect(await stopGracefully(processor)).toBe(0);
});

test('killed with SIGKILL three times mid-run and restarted: the same reports and alerts, exactly once', async () => {
  const { prefix, keyspace } = isolatedRun();
  const sent = generateReports(`${prefix}drone.reports`, 2000, 7);
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

test('two instances share the partitions; one frozen past its session, then thawed mid-chunk: still exactly once', async () => {
  const { prefix, keyspace } = isolatedRun();
  const sent = generateReports(`${prefix}drone.reports`, 4000, 17);
  const instance = (id: string, port: number) =>
    startProcessor(prefix, keyspace, port, 200, {
      PROCESSOR_INSTANCE_ID: id,
      PROCESSOR_SESSION_TIMEOUT_MS: '6000',
    });
  const frozen = instance('a', 19486);
  await waitFor(
    () => storedReportIds(keyspace),
    (stored) => stored.length > 100,
    90_000,
  );
  const other = instance('b', 19487);
  const storedWhenJoined = (await storedReportIds(keyspace)).length;
  await waitFor(
    () => storedReportIds(keyspace),
    (stored) => stored.length > storedWhenJoined + 400,
    90_000,
  );
  // Frozen, most likely in the middle of a chunk: its session expires and the other instance
  // takes its partitions from their committed offsets. Thawed, it finishes the chunk in hand
  // and tries to commit it, offsets and alerts of records the other instance has processed too.
  frozen.kill('SIGSTOP');
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  frozen.kill('SIGCONT');
  await expectExactlyTheSentFacts(prefix, keyspace, sent);
  expect(await stopGracefully(frozen)).toBe(0);
  expect(await stopGracefully(other)).toBe(0);
}, 300_000);

test('500 malformed messages of varied kinds: all in the DLQ with reasons, the good ones around them stored', async () => {
  const { prefix, keyspace } = isolatedRun();
  const good = generateReports(`${prefix}drone.reports`, 300, 11);
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
  const producer = testProducer();
  await producer.connect();
  const badMessages = Array.from({ length: 500 }, (_, index) => ({
    key: `bad-${index}`,
    value: malformed[index % malformed.length]!(),
  }));
  // Small sends: the oversized messages together would exceed the broker's 1 MB request limit.
  for (let first = 0; first < badMessages.length; first += 8) {
    await producer.send(inTopic(`${prefix}drone.reports`, badMessages.slice(first, first + 8)));
  }
  await producer.disconnect();
  const more = generateReports(`${prefix}drone.reports`, 300, 12);

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
  const metrics = await metricsText(19494);
  expect(metrics).toMatch(
    /processor_records_total\{pipeline="harmony",topic="[^"]+",outcome="rejected"\} 500\n/,
  );
  processor.kill('SIGTERM');
  await new Promise((resolve) => processor.once('exit', resolve));
});

test('Cassandra stopped for 30 s mid-run: nothing lost, the processor pauses and resumes by itself', async () => {
  const { prefix, keyspace } = isolatedRun();
  const before = generateReports(`${prefix}drone.reports`, 500, 21);
  const processor = startProcessor(prefix, keyspace, 19504);
  const batch = startProgram(
    'batch/cli.ts',
    { CASSANDRA_KEYSPACE_HARMONY: keyspace, BATCH_SCHEDULE: '*/2 * * * * *', BATCH_HTTP_PORT: '19506' },
    'batch-outage.log',
  );
  await waitFor(
    () => storedReportIds(keyspace),
    (stored) => stored.length === before.length,
    120_000,
  );
  for (const port of [19504, 19506]) expect(await becomesReady(port), `port ${port}`).toBe(200);
  const failedRuns = async () =>
    sampleValue(await metricsText(19506), 'batch_job_runs_total', {
      name: 'report_stats',
      outcome: 'failure',
    }) ?? 0;
  const failedBefore = await failedRuns();

  const down = runServices('down', 'cassandra');
  let during: DroneReport[];
  try {
    expect(down.output, 'the services script must own Cassandra for this test').toMatch(/cassandra: stopped/);
    during = generateReports(`${prefix}drone.reports`, 500, 22);
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    const paused = await metricsText(19504);
    expect(paused).toMatch(/processor_paused\{pipeline="harmony"\} 1\n/);
    // Health tells the truth: neither program can do its job without Cassandra, and says so,
    // and every job due meanwhile is counted as failed (not only the first of a run).
    expect(await readiness(19504)).toBe(503);
    expect(await readiness(19506)).toBe(503);
    expect(await failedRuns()).toBeGreaterThan(failedBefore);
  } finally {
    // Whatever failed above, the services go back up for the tests after this one.
    expect(runServices('up', 'cassandra').status).toBe(0);
  }
  // The test's own driver reconnects on its own schedule, like the processor's.
  await waitFor(
    () => cassandraClient.execute('SELECT release_version FROM system.local').then(() => true),
    (reconnected) => reconnected,
    60_000,
  );

  await expectExactlyTheSentFacts(prefix, keyspace, [...before, ...during]);
  expect(processor.exitCode).toBeNull();
  const resumed = await metricsText(19504);
  expect(resumed).toMatch(/processor_paused\{pipeline="harmony"\} 0\n/);
  expect(resumed).toMatch(/processor_write_errors_total\{pipeline="harmony",sink="cassandra"\} [1-9]/);
  for (const port of [19504, 19506]) expect(await becomesReady(port), `port ${port}`).toBe(200);
  expect(await stopGracefully(batch)).toBe(0);
  processor.kill('SIGTERM');
  await new Promise((resolve) => processor.once('exit', resolve));
}, 400_000);
