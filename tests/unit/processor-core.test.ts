import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../services/config.ts';
import { describe, expect, test } from 'vitest';
import { schemaStatements, upsertStatement } from '../../common/cassandra.ts';
import { loadProcessorConfig, parsePipelines } from '../../processor/config.ts';
import { BACKOFF_MAX_MS, backoffDelay } from '../../common/backoff.ts';
import { DEAD_LETTER_PAYLOAD_MAX_BYTES, deadLetter, type SourceRecord } from '../../common/records.ts';
import { isFenced, produceRequests } from '../../processor/runtime/producers.ts';
import { continuesFrom } from '../../processor/runtime/run-topology.ts';
import { TopologyTestDriver } from '../../processor/dsl/driver.ts';
import { ACCEPTED, source, type Topology } from '../../processor/dsl/topology.ts';
import { ok } from '../../common/result.ts';

const record = (offset: number, value: string | null): SourceRecord => ({
  topic: 'readings',
  partition: 2,
  offset: String(offset),
  key: `k${offset}`,
  value: value === null ? null : Buffer.from(value),
});

test('a dead letter cuts a huge payload so that it always fits in a Kafka message', () => {
  const huge = Buffer.alloc(DEAD_LETTER_PAYLOAD_MAX_BYTES + 10, 'x');
  const letter = JSON.parse(
    deadLetter('dlq', { record: { ...record(1, null), value: huge }, reason: 'oversized message' }).value!,
  );
  expect(letter.payload).toHaveLength(DEAD_LETTER_PAYLOAD_MAX_BYTES);
  expect(letter.payload_truncated).toBe(true);
  expect(letter.payload_bytes).toBe(DEAD_LETTER_PAYLOAD_MAX_BYTES + 10);
});

describe('Cassandra statements', () => {
  test('the schema file is split into statements, comments dropped, keyspace substituted', () => {
    const cql = `-- a comment; with a semicolon\nCREATE KEYSPACE IF NOT EXISTS harmony WITH x;\nCREATE TABLE IF NOT EXISTS harmony.t (a int PRIMARY KEY);\n`;
    expect(schemaStatements(cql, 'harmony', 'test_ks')).toEqual([
      'CREATE KEYSPACE IF NOT EXISTS test_ks WITH x',
      'CREATE TABLE IF NOT EXISTS test_ks.t (a int PRIMARY KEY)',
    ]);
  });

  test('an upsert names every column of the row', () => {
    expect(upsertStatement('ks', { table: 't', values: { a: 1, b: 'x' } })).toBe(
      'INSERT INTO ks.t (a, b) VALUES (?, ?)',
    );
  });
});

test('backoff doubles from 200 ms and is capped', () => {
  expect([0, 1, 2, 3].map(backoffDelay)).toEqual([200, 400, 800, 1600]);
  expect(backoffDelay(30)).toBe(BACKOFF_MAX_MS);
});

test('processor config: defaults, and a bad value named in one line', () => {
  const config = loadProcessorConfig({});
  expect(config.metricsPort).toBe(9464);
  expect(config.keyspaceFor('harmony')).toBe('harmony');
  expect(loadProcessorConfig({ CASSANDRA_KEYSPACE_TRAFFIC: 'traffic_test' }).keyspaceFor('traffic')).toBe(
    'traffic_test',
  );
  expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
  expect(() => loadProcessorConfig({ PROCESSOR_BATCH_MAX_RECORDS: '0' })).toThrow(
    /^invalid PROCESSOR_BATCH_MAX_RECORDS: /,
  );
  expect(() => loadProcessorConfig({ CASSANDRA_KEYSPACE: 'Bad-Name' })).toThrow(
    /^invalid CASSANDRA_KEYSPACE: /,
  );
});

test('pipelines: every one by default, a known subset, or one line naming the unknown one', () => {
  expect(parsePipelines(undefined, ['harmony', 'traffic'])).toEqual(['harmony', 'traffic']);
  expect(parsePipelines(' traffic ,harmony,traffic', ['harmony', 'traffic'])).toEqual(['traffic', 'harmony']);
  expect(() => parsePipelines('traffic,weather', ['harmony', 'traffic'])).toThrow(
    "unknown pipeline 'weather': choose from harmony, traffic",
  );
});

test("a transaction's records go out in produce requests that stay under the broker's limit, in order", () => {
  const value = 'v'.repeat(1000);
  const outputs = Array.from({ length: 50 }, (_, index) => ({
    topic: index % 2 === 0 ? 'a' : 'b',
    key: `k${index}`,
    value,
    ...(index % 2 === 1 && { partition: 1 }),
  }));
  const requests = produceRequests(outputs, 10_000);
  expect(requests.length).toBeGreaterThan(4);
  for (const request of requests) {
    const bytes = request
      .flatMap((topic) => topic.messages)
      .reduce((sum, message) => sum + 1000 + 64 + String(message.key).length, 0);
    expect(bytes).toBeLessThanOrEqual(10_000);
  }
  const sent = requests.flatMap((request) =>
    request.flatMap((topic) => topic.messages.map((message) => ({ topic: topic.topic, ...message }))),
  );
  expect(sent.filter((message) => message.topic === 'a').map((message) => message.key)).toEqual(
    outputs.filter((output) => output.topic === 'a').map((output) => output.key),
  );
  expect(sent.filter((message) => message.topic === 'b').every((message) => message.partition === 1)).toBe(
    true,
  );
  expect(produceRequests([])).toEqual([]);
  const small = Array.from({ length: 2500 }, (_, index) => ({ topic: 'c', key: `k${index}`, value: 'v' }));
  expect(produceRequests(small).map((request) => request[0]!.messages.length)).toEqual([1000, 1000, 500]);
});

test('a chunk continues the state across hidden records, never across records it has not seen', () => {
  // Markers at 10 and 11: the fetch started at 10, the first record is 12.
  expect(continuesFrom('10', '10', '12')).toBe(true);
  expect(continuesFrom('12', '10', '12')).toBe(true);
  // The state stopped at 8: records 8 and 9 were fetched before and are not in it.
  expect(continuesFrom('8', '10', '12')).toBe(false);
  // The state is past the chunk's first record: it holds it already.
  expect(continuesFrom('13', '10', '12')).toBe(false);
});

test('a step that throws on a record dead-letters that record and goes on with the next', () => {
  const topology: Topology = {
    name: 'fragile',
    schema: { file: 'none.cql', keyspace: 'none' },
    outputs: [],
    sources: [
      source<number>({
        topic: 'numbers',
        partitions: 1,
        stateful: false,
        decode: (record) => ok(Number(record.value?.toString())),
        eventTime: () => 0,
        processor: () => ({
          process(value, _eventTime, out) {
            if (value === 13) throw new Error('unlucky number');
            out.row({ table: 'numbers', values: { value } });
            return ACCEPTED;
          },
        }),
      }),
    ],
  };
  const driver = new TopologyTestDriver(topology);
  driver.pipe(
    'numbers',
    [12, 13, 14].map((value) => ({ key: null, value: String(value) })),
  );
  expect(driver.rows.map((row) => row.values['value'])).toEqual([12, 14]);
  expect(JSON.parse(driver.output('numbers.dlq')[0]!.value!)).toMatchObject({
    reason: 'processing failed: unlucky number',
    origin: { offset: '1' },
  });
});

test('the processor CLI: help exits 0; a wrong option or pipeline is one line and exit 2', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'processor/main.ts', ...args], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...process.env, PROCESSOR_PIPELINES: '' },
    });
  const help = run('--help');
  expect(help.status).toBe(0);
  expect(help.stdout).toContain('--pipelines <names>');
  const unknown = run('--pipelines', 'weather');
  expect(unknown.status).toBe(2);
  expect(unknown.stderr.trim()).toBe("processor: unknown pipeline 'weather': choose from harmony, traffic");
  const bogus = run('--bogus');
  expect(bogus.status).toBe(2);
  expect(bogus.stderr.trim().split('\n')).toHaveLength(1);
}, 30_000);

test('a fenced producer is told apart from failures a retry can mend, also when kafkajs wraps it', async () => {
  const { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = await import('kafkajs');
  const protocolError = (type: string) =>
    Object.assign(new KafkaJSProtocolError('from the broker'), { type });
  expect(isFenced(protocolError('INVALID_PRODUCER_EPOCH'))).toBe(true);
  expect(isFenced(protocolError('PRODUCER_FENCED'))).toBe(true);
  expect(
    isFenced(
      new KafkaJSNumberOfRetriesExceeded(protocolError('INVALID_PRODUCER_EPOCH'), {
        retryCount: 5,
        retryTime: 900,
      }),
    ),
  ).toBe(true);
  expect(isFenced(protocolError('CONCURRENT_TRANSACTIONS'))).toBe(false);
  expect(isFenced(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).toBe(false);
  expect(isFenced('INVALID_PRODUCER_EPOCH')).toBe(false);
});
