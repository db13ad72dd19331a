import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../services/config.ts';
import { describe, expect, test } from 'vitest';
import { schemaStatements, upsertStatement } from '../../common/cassandra.ts';
import { loadProcessorConfig, parsePipelines } from '../../processor/config.ts';
import { BACKOFF_MAX_MS, backoffDelay } from '../../common/backoff.ts';
import { DEAD_LETTER_MAX_BYTES, deadLetter, type SourceRecord } from '../../common/records.ts';
import { kafkaErrorKind } from '../../common/kafka.ts';
import { PRODUCE_REQUEST_MAX_BYTES, produceRequests } from '../../processor/runtime/producers.ts';
import { continuesFrom } from '../../processor/runtime/run-topology.ts';
import { TopologyTestDriver } from '../../processor/dsl/driver.ts';
import { ACCEPTED, source, type Topology } from '../../processor/dsl/topology.ts';
import { TaskState } from '../../processor/dsl/store.ts';
import { StepGather, UpstreamWatermark } from '../../processor/dsl/windows.ts';
import { ok } from '../../common/result.ts';
import { pipelineNames } from '../../streams/index.ts';

const record = (offset: number, value: string | null): SourceRecord => ({
  topic: 'readings',
  partition: 2,
  offset: String(offset),
  key: `k${offset}`,
  value: value === null ? null : Buffer.from(value),
});

describe('dead letters always fit in a Kafka message, whatever the original', () => {
  const letterOf = (value: Buffer, key: string | null = 'k') => {
    const output = deadLetter('dlq', { record: { ...record(1, null), key, value }, reason: 'bad' });
    expect(Buffer.byteLength(output.value!)).toBeLessThanOrEqual(DEAD_LETTER_MAX_BYTES);
    return { output, letter: JSON.parse(output.value!) };
  };

  test('a huge text payload is cut, with its size and hash kept', () => {
    const huge = Buffer.alloc(300_000, 'x');
    const { letter } = letterOf(huge);
    expect(letter.payload.length).toBeGreaterThan(DEAD_LETTER_MAX_BYTES - 1000);
    expect(huge.toString().startsWith(letter.payload)).toBe(true);
    expect(letter).toMatchObject({
      payload_encoding: 'utf8',
      payload_truncated: true,
      payload_bytes: 300_000,
      payload_sha256: createHash('sha256').update(huge).digest('hex'),
    });
  });

  test('control bytes, which JSON escapes six-fold, still fit', () => {
    const { letter } = letterOf(Buffer.alloc(200_000, 1));
    expect(letter.payload_truncated).toBe(true);
    expect(letter.payload).toBe(String.fromCharCode(1).repeat(letter.payload.length));
  });

  test('bytes that are not UTF-8 are kept exactly, as base64', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x41, 0xc3]);
    const { letter } = letterOf(bytes);
    expect(letter).toMatchObject({ payload_encoding: 'base64', payload_truncated: false });
    expect(Buffer.from(letter.payload, 'base64')).toEqual(bytes);
    expect(letterOf(Buffer.alloc(100_000, 0xff)).letter.payload_truncated).toBe(true);
  });

  test('a small payload is whole, and a huge key is cut in the letter and its origin', () => {
    const { output, letter } = letterOf(Buffer.from('not json'), 'k'.repeat(10_000));
    expect(letter).toMatchObject({ payload: 'not json', payload_truncated: false, payload_bytes: 8 });
    expect(output.key!.length).toBeLessThan(300);
    expect(letter.origin).toMatchObject({ topic: 'readings', partition: 2, offset: '1', key: output.key });
    expect(output.origin).toMatchObject({ topic: 'readings', partition: 2, offset: '1' });
  });
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
  expect(config.pipelinesAvailable.get('harmony')!.keyspace).toBe('harmony');
  const traffic = loadProcessorConfig({ CASSANDRA_KEYSPACE_TRAFFIC: 'traffic_test' }).pipelinesAvailable;
  expect(traffic.get('traffic')!.keyspace).toBe('traffic_test');
  expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
  expect(() => loadProcessorConfig({ PROCESSOR_BATCH_MAX_RECORDS: '0' })).toThrow(
    /^invalid PROCESSOR_BATCH_MAX_RECORDS: /,
  );
  expect(() => loadProcessorConfig({ CASSANDRA_KEYSPACE_HARMONY: 'Bad-Name' })).toThrow(
    /^invalid CASSANDRA_KEYSPACE_HARMONY: /,
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
    const bytes = request.reduce((sum, record) => sum + 1000 + 64 + String(record.key).length, 0);
    expect(bytes).toBeLessThanOrEqual(10_000);
  }
  const sent = requests.flat();
  expect(sent).toEqual(outputs);
  expect(sent.filter((message) => message.topic === 'a').map((message) => message.key)).toEqual(
    outputs.filter((output) => output.topic === 'a').map((output) => output.key),
  );
  expect(sent.filter((message) => message.topic === 'b').every((message) => message.partition === 1)).toBe(
    true,
  );
  expect(produceRequests([])).toEqual([]);
  // Bytes alone cut requests: 2,500 small records (about 175 KB) are one request.
  const small = Array.from({ length: 2500 }, (_, index) => ({ topic: 'c', key: `k${index}`, value: 'v' }));
  expect(produceRequests(small).map((request) => request.length)).toEqual([2500]);
  expect(produceRequests(small, PRODUCE_REQUEST_MAX_BYTES, 1000).map((request) => request.length)).toEqual([
    1000, 1000, 500,
  ]);
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

test('an event the state refuses is a dead letter with its reason, and counts as rejected, not late', () => {
  const topology: Topology = {
    name: 'ledger',
    schema: { file: 'none.cql', keyspace: 'none' },
    outputs: [],
    sources: [
      source<number>({
        topic: 'withdrawals',
        partitions: 1,
        stateful: true,
        decode: (record) => ok(Number(record.value?.toString())),
        eventTime: () => 0,
        processor: (task) => {
          const balance = task.store<number>('balance');
          return {
            process(amount) {
              const left = (balance.get('account') ?? 10) - amount;
              if (left < 0) return { accepted: false, invalid: `overdrawn by ${-left}` };
              balance.put('account', left);
              return ACCEPTED;
            },
          };
        },
      }),
    ],
  };
  const driver = new TopologyTestDriver(topology);
  driver.pipe('withdrawals', [{ key: null, value: '6' }]);
  driver.restart();
  driver.pipe('withdrawals', [
    { key: null, value: '6' },
    { key: null, value: '4' },
  ]);
  expect(driver.output('withdrawals.dlq').map((letter) => JSON.parse(letter.value!))).toEqual([
    expect.objectContaining({ reason: 'overdrawn by 2', origin: expect.objectContaining({ offset: '1' }) }),
  ]);
  expect(driver.output('withdrawals.late')).toEqual([]);
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
  expect(unknown.stderr.trim()).toBe(
    `processor: unknown pipeline 'weather': choose from ${pipelineNames().join(', ')}`,
  );
  const bogus = run('--bogus');
  expect(bogus.status).toBe(2);
  expect(bogus.stderr.trim().split('\n')).toHaveLength(1);
}, 30_000);

test('a Kafka failure is classified by what it means, also when the client wraps it', async () => {
  const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } =
    await import('kafkajs');
  // The client's own error for a broker's error code, as it builds them.
  const protocolError = (type: string, retriable: boolean) =>
    Object.assign(new KafkaJSProtocolError('from the broker'), { type, retriable });
  const retried = (cause: Error) =>
    new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 900 });
  expect(kafkaErrorKind(protocolError('INVALID_PRODUCER_EPOCH', false))).toEqual({ kind: 'fenced' });
  expect(kafkaErrorKind(protocolError('PRODUCER_FENCED', false))).toEqual({ kind: 'fenced' });
  expect(kafkaErrorKind(retried(protocolError('INVALID_PRODUCER_EPOCH', false)))).toEqual({ kind: 'fenced' });
  expect(kafkaErrorKind(retried(protocolError('MESSAGE_TOO_LARGE', false)))).toEqual({
    kind: 'record refused',
    code: 'MESSAGE_TOO_LARGE',
  });
  expect(kafkaErrorKind(protocolError('CONCURRENT_TRANSACTIONS', true))).toEqual({ kind: 'retriable' });
  expect(kafkaErrorKind(retried(new KafkaJSConnectionError('Connection error: ECONNREFUSED')))).toEqual({
    kind: 'retriable',
  });
  expect(kafkaErrorKind(protocolError('TOPIC_AUTHORIZATION_FAILED', false))).toEqual({ kind: 'other' });
  expect(kafkaErrorKind(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).toEqual({
    kind: 'other',
  });
  expect(kafkaErrorKind('INVALID_PRODUCER_EPOCH')).toEqual({ kind: 'other' });
});

test('a repartition stage gets a keyed record in the partition Kafka gives its key, every record of a key in one', () => {
  const topology: Topology = {
    name: 'regroup',
    schema: { file: 'none.cql', keyspace: 'none' },
    outputs: [],
    sources: [
      source<string>({
        topic: 'words',
        partitions: 1,
        stateful: false,
        decode: (record) => ok(record.value!.toString()),
        eventTime: () => 0,
        processor: () => ({
          process(word, _eventTime, out) {
            out.record('by-word', word, word);
            return ACCEPTED;
          },
        }),
      }),
      source<string>({
        topic: 'by-word',
        partitions: 4,
        stateful: false,
        decode: (record) => ok(`${record.partition}:${record.value!.toString()}`),
        eventTime: () => 0,
        processor: () => ({
          process(seen, _eventTime, out) {
            out.row({ table: 'seen', values: { seen } });
            return ACCEPTED;
          },
        }),
      }),
    ],
  };
  const driver = new TopologyTestDriver(topology);
  const words = ['alpha', 'beta', 'gamma', 'delta', 'alpha', 'epsilon', 'beta'];
  driver.pipe(
    'words',
    words.map((word) => ({ key: null, value: word })),
  );
  const seen = driver.rows.map((row) => String(row.values['seen']).split(':'));
  // The partitions Kafka's Java client gives these keys of 4 partitions (its Utils.murmur2),
  // which the runtime's producer uses too.
  expect(Object.fromEntries(seen.map(([partition, word]) => [word, Number(partition)]))).toEqual({
    alpha: 0,
    beta: 0,
    gamma: 2,
    delta: 2,
    epsilon: 1,
  });
  expect(seen).toHaveLength(words.length);
});

test('the upstream watermark is the slowest upstream partition’s event time, once each has been heard from', () => {
  const marks = new TaskState().store<number>('marks');
  const watermark = new UpstreamWatermark(marks);
  expect(watermark.observe(0, 2, 1000)).toBe(Number.NEGATIVE_INFINITY);
  expect(watermark.observe(0, 2, 5000)).toBe(Number.NEGATIVE_INFINITY);
  expect(watermark.observe(1, 2, 2000)).toBe(2000);
  // Disorder within a partition never moves its mark back.
  expect(watermark.observe(1, 2, 1500)).toBe(2000);
  expect(watermark.observe(1, 2, 9000)).toBe(5000);
  // Restored from its store, it goes on where it was.
  expect(new UpstreamWatermark(marks).observe(0, 2, 4000)).toBe(5000);
});

test('a step is complete once every upstream partition has reported it or a later one, oldest first', () => {
  const state = new TaskState();
  const gather = new StepGather<string>(state.store('pending'), state.store('reported'));
  expect(gather.add(10, 0, 2, 'a10')).toEqual([]);
  expect(gather.add(20, 0, 2, 'a20')).toEqual([]);
  // Partition 1 reports 10: step 10 is complete, 20 still waits for it.
  expect(gather.add(10, 1, 2, 'b10')).toEqual([{ step: 10, candidates: ['a10', 'b10'] }]);
  // Partition 1 had nothing for 20 and reports 30: 20 is complete with partition 0's alone.
  expect(gather.add(30, 1, 2, 'b30')).toEqual([{ step: 20, candidates: ['a20'] }]);
  // Restored from its stores, it goes on where it was, and never gives a step twice.
  const restored = new StepGather<string>(state.store('pending'), state.store('reported'));
  expect(restored.add(30, 0, 2, 'a30')).toEqual([{ step: 30, candidates: ['a30', 'b30'] }]);
  expect(state.store('pending').size).toBe(0);
});

test('endBatch runs once after the last record of every micro-batch, its changes logged with the batch', () => {
  const topology: Topology = {
    name: 'sums',
    schema: { file: 'unused.cql', keyspace: 'unused' },
    sources: [
      source<number>({
        topic: 'numbers',
        partitions: 1,
        stateful: true,
        decode: (input) => ok(Number(input.value!.toString())),
        eventTime: (value) => value,
        processor: (task) => {
          const sums = task.store<number>('sums');
          return {
            process: (value) => {
              sums.put('total', (sums.get('total') ?? 0) + value);
              return ACCEPTED;
            },
            endBatch: (out) => out.row({ table: 'totals', values: { total: sums.get('total') } }),
          };
        },
      }),
    ],
    outputs: [],
  };
  const driver = new TopologyTestDriver(topology);
  driver.pipe(
    'numbers',
    ['1', '2', '3'].map((value) => ({ key: null, value })),
  );
  expect(driver.rows).toEqual([{ table: 'totals', values: { total: 6 } }]);
  driver.restart();
  driver.pipe('numbers', [{ key: null, value: '4' }]);
  expect(driver.rows.at(-1)).toEqual({ table: 'totals', values: { total: 10 } });
  expect(driver.rows).toHaveLength(2);
});
