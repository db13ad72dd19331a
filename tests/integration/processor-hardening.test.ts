/**
 * Inputs that once stopped the processor for good: a backlog of malformed messages whose dead
 * letters together, or one of them alone, exceeded the broker's limits, and output records the
 * broker refuses whatever is tried. The stream must go on, and every bad record be accounted for.
 */
import { expect, test } from 'vitest';
import { sampleValue } from '../../common/exposition.ts';
import { DEAD_LETTER_MAX_BYTES } from '../../common/records.ts';
import {
  committedMessages,
  isolatedRun,
  kafka,
  metricsText,
  programLog,
  stopGracefully,
  testProducer,
  waitFor,
  inTopic,
} from '../support/harness.ts';
import { generateReports, startProcessor, storedReportIds } from '../../streams/harmony/tests/support.ts';

interface Letter {
  reason: string;
  origin: { topic: string; partition: number; offset: string; key: string };
  payload_bytes: number;
  payload_sha256: string;
  payload_encoding: 'utf8' | 'base64';
  payload_truncated: boolean;
}

async function send(topic: string, messages: { key: string; value: Buffer | string }[]) {
  const producer = testProducer();
  await producer.connect();
  // One by one: a few of these together would exceed the broker's request limit on the way in.
  for (const message of messages) await producer.send(inTopic(topic, [message]));
  await producer.disconnect();
}

test('a backlog of 400 malformed 2.7 KB messages on one key and a 200,000-byte value of control bytes: all dead-lettered, the reports behind them stored', async () => {
  const { prefix, keyspace } = isolatedRun();
  const topic = `${prefix}drone.reports`;
  const before = generateReports(topic, 200, 31);
  const garbage = Array.from({ length: 400 }, (_, index) => ({
    key: 'one-key',
    value: `${index}:${'<not json>'.repeat(270)}`,
  }));
  const controlBytes = { key: 'control', value: Buffer.alloc(200_000, 2) };
  await send(topic, [...garbage, controlBytes]);
  const after = generateReports(topic, 200, 32);

  const processor = startProcessor(prefix, keyspace, 19540, 5000);
  const stored = await waitFor(
    () => storedReportIds(keyspace),
    (ids) => ids.length >= before.length + after.length,
    180_000,
  );
  expect(stored.sort(), programLog('processor.log', 3000)).toEqual(
    [...before, ...after].map((report) => report.report_id).sort(),
  );
  const letters = (await committedMessages(`${topic}.dlq`, 401)).map((text) => JSON.parse(text) as Letter);
  expect(letters).toHaveLength(401);
  expect(new Set(letters.map((letter) => letter.origin.offset)).size).toBe(401);
  const control = letters.find((letter) => letter.origin.key === 'control')!;
  expect(control).toMatchObject({
    payload_bytes: 200_000,
    payload_truncated: true,
    payload_encoding: 'utf8',
  });
  expect(control.reason).toMatch(/^oversized message/);
  for (const letter of letters)
    expect(JSON.stringify(letter).length).toBeLessThanOrEqual(DEAD_LETTER_MAX_BYTES);
  const metrics = await metricsText(19540);
  expect(sampleValue(metrics, 'processor_records_total', { topic, outcome: 'rejected' })).toBe(401);
  expect(sampleValue(metrics, 'processor_unwritable_records_total')).toBeUndefined();
  expect(await stopGracefully(processor)).toBe(0);
}, 300_000);

test('dead letters the broker refuses (a DLQ topic with a 2 KB limit): counted as unwritable with their origin, the stream goes on', async () => {
  const { prefix, keyspace } = isolatedRun();
  const topic = `${prefix}drone.reports`;
  const admin = kafka.admin();
  await admin.connect();
  // Made before the processor, which keeps an existing topic as it is.
  await admin.ensureTopics([
    { topic: `${topic}.dlq`, partitions: 3, configs: { 'max.message.bytes': '2048' } },
  ]);
  await admin.disconnect();
  const before = generateReports(topic, 150, 33);
  const small = Array.from({ length: 5 }, (_, index) => ({
    key: `small-${index}`,
    value: `not json ${index}`,
  }));
  const large = Array.from({ length: 3 }, (_, index) => ({
    key: `large-${index}`,
    value: 'y'.repeat(20_000),
  }));
  await send(topic, [...small, ...large]);
  const after = generateReports(topic, 150, 34);

  const processor = startProcessor(prefix, keyspace, 19541, 5000);
  const stored = await waitFor(
    () => storedReportIds(keyspace),
    (ids) => ids.length >= before.length + after.length,
    180_000,
  );
  expect(stored.sort(), programLog('processor.log', 3000)).toEqual(
    [...before, ...after].map((report) => report.report_id).sort(),
  );
  const letters = (await committedMessages(`${topic}.dlq`, 5)).map((text) => JSON.parse(text) as Letter);
  expect(letters.map((letter) => letter.origin.key).sort()).toEqual(small.map((message) => message.key));
  const metrics = await waitFor(
    () => metricsText(19541),
    (text) => sampleValue(text, 'processor_unwritable_records_total', { topic: `${topic}.dlq` }) === 3,
    30_000,
  );
  expect(sampleValue(metrics, 'processor_unwritable_records_total', { topic: `${topic}.dlq` })).toBe(3);
  expect(sampleValue(metrics, 'processor_records_total', { topic, outcome: 'rejected' })).toBe(8);
  const log = programLog('processor.log');
  const unwritable = log
    .split('\n')
    .filter((line) => line.includes('counted as unwritable'))
    .map((line) => JSON.parse(line) as { reason: string; origin: { topic: string; offset: string } });
  expect(unwritable).toHaveLength(3);
  for (const entry of unwritable) {
    expect(entry.reason).toBe('MESSAGE_TOO_LARGE');
    expect(entry.origin.topic).toBe(topic);
  }
  expect(await stopGracefully(processor)).toBe(0);
}, 300_000);
