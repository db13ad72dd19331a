import { describe, expect, test } from 'vitest';
import { schemaStatements, upsertStatement } from '../../common/cassandra.ts';
import { loadProcessorConfig } from '../../processor/config.ts';
import { BACKOFF_MAX_MS, backoffDelay } from '../../common/backoff.ts';
import { DEAD_LETTER_PAYLOAD_MAX_BYTES, deadLetter, type SourceRecord } from '../../common/records.ts';
import { runMicroBatch, type StreamPipeline } from '../../processor/pipeline.ts';
import { isFenced } from '../../processor/kafka.ts';

interface Reading {
  id: string;
  value: number;
}

const readings: StreamPipeline<Reading> = {
  name: 'readings',
  sourceTopic: 'readings',
  deadLetterTopic: 'readings.dlq',
  decode: (record) => {
    const text = record.value?.toString() ?? '';
    const value = Number(text);
    return Number.isFinite(value) && text !== ''
      ? { ok: true, fact: { id: `${record.partition}-${record.offset}`, value } }
      : { ok: false, reason: `not a number: '${text}'` };
  },
  eventTime: () => new Date(0),
  rows: (reading) => [{ table: 'readings', values: { id: reading.id, value: reading.value } }],
  derive: (reading) =>
    reading.value > 100 ? [{ topic: 'high', key: reading.id, value: String(reading.value) }] : [],
};

const record = (offset: number, value: string | null): SourceRecord => ({
  topic: 'readings',
  partition: 2,
  offset: String(offset),
  key: `k${offset}`,
  value: value === null ? null : Buffer.from(value),
});

describe('runMicroBatch', () => {
  test('accepted records become rows and derived records; rejected ones dead letters with their origin', () => {
    const result = runMicroBatch(readings, [
      record(10, '5'),
      record(11, 'abc'),
      record(12, '150'),
      record(13, null),
    ]);
    expect(result.accepted.map((reading) => reading.value)).toEqual([5, 150]);
    expect(result.rows).toEqual([
      { table: 'readings', values: { id: '2-10', value: 5 } },
      { table: 'readings', values: { id: '2-12', value: 150 } },
    ]);
    expect(result.rejected.map((rejection) => rejection.reason)).toEqual([
      "not a number: 'abc'",
      "not a number: ''",
    ]);
    const deadLetters = result.outputs.filter((output) => output.topic === 'readings.dlq');
    expect(deadLetters.map((letter) => JSON.parse(letter.value))).toEqual([
      {
        reason: "not a number: 'abc'",
        origin: { topic: 'readings', partition: 2, offset: '11', key: 'k11' },
        payload: 'abc',
      },
      {
        reason: "not a number: ''",
        origin: { topic: 'readings', partition: 2, offset: '13', key: 'k13' },
        payload: null,
      },
    ]);
    expect(result.outputs.filter((output) => output.topic === 'high')).toEqual([
      { topic: 'high', key: '2-12', value: '150' },
    ]);
  });
});

test('a dead letter cuts a huge payload so that it always fits in a Kafka message', () => {
  const huge = Buffer.alloc(DEAD_LETTER_PAYLOAD_MAX_BYTES + 10, 'x');
  const letter = JSON.parse(
    deadLetter('dlq', { record: { ...record(1, null), value: huge }, reason: 'oversized message' }).value,
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
  expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
  expect(() => loadProcessorConfig({ PROCESSOR_BATCH_MAX_RECORDS: '0' })).toThrow(
    /^invalid PROCESSOR_BATCH_MAX_RECORDS: /,
  );
  expect(() => loadProcessorConfig({ CASSANDRA_KEYSPACE: 'Bad-Name' })).toThrow(
    /^invalid CASSANDRA_KEYSPACE: /,
  );
});

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
