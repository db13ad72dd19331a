import { createRequire } from 'node:module';
import { expect, test } from 'vitest';

/** The patched kafkajs module itself (patches/kafkajs+2.2.4.patch), as the producer calls it. */
const groupMessagesPerPartition = createRequire(import.meta.url)(
  'kafkajs/src/producer/groupMessagesPerPartition.js',
) as (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: { partition: number; value: string }[];
  partitioner: (args: { message: { partition: number } }) => number;
}) => Record<number, { partition: number; value: string }[]>;

// The patch makes the grouping append in place (it copied each partition's array for every
// message); what it must keep is the grouping itself.
test("a send's messages are grouped per partition, in their order", () => {
  const messages = Array.from({ length: 30_000 }, (_, at) => ({ partition: at % 3, value: `m${at}` }));
  const groups = groupMessagesPerPartition({
    topic: 't',
    partitionMetadata: [{}, {}, {}],
    messages,
    partitioner: ({ message }) => message.partition,
  });
  expect(Object.keys(groups)).toEqual(['0', '1', '2']);
  for (const partition of [0, 1, 2]) {
    expect(groups[partition]).toEqual(messages.filter((message) => message.partition === partition));
  }
});

const load = createRequire(import.meta.url);
interface LongValue {
  toString(): string;
}
const Long = load('kafkajs/src/utils/long.js') as { fromValue(value: bigint): LongValue };
const encodeRecord = load('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: {
  offsetDelta: number;
  timestampDelta: LongValue;
  key: Buffer;
  value: Buffer;
}) => unknown;
const { RecordBatch: encodeRecordBatch } = load('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (batch: {
    firstOffset: LongValue;
    firstTimestamp: LongValue;
    maxTimestamp: LongValue;
    lastOffsetDelta: number;
    records: unknown[];
  }) => Promise<{ buffer: Buffer }>;
};
const Decoder = load('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const decodeRecordBatch = load('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{ records: { offset: string; timestamp: string; value: Buffer }[] }>;

/** A batch through kafkajs's own encoder and the patched decoder: each record's offset and timestamp. */
async function roundTrip(firstOffset: bigint, firstTimestamp: bigint, timestampDeltas: bigint[]) {
  const records = timestampDeltas.map((delta, at) =>
    encodeRecord({
      offsetDelta: at,
      timestampDelta: Long.fromValue(delta),
      key: Buffer.from('k'),
      value: Buffer.from(`v${at}`),
    }),
  );
  const encoded = await encodeRecordBatch({
    firstOffset: Long.fromValue(firstOffset),
    firstTimestamp: Long.fromValue(firstTimestamp),
    maxTimestamp: Long.fromValue(firstTimestamp),
    lastOffsetDelta: records.length - 1,
    records,
  });
  const { records: decoded } = await decodeRecordBatch(new Decoder(encoded.buffer));
  return decoded.map(({ offset, timestamp, value }) => [offset, timestamp, value.toString()]);
}

const expected = (firstOffset: bigint, firstTimestamp: bigint, timestampDeltas: bigint[]) =>
  timestampDeltas.map((delta, at) => [
    String(firstOffset + BigInt(at)),
    String(firstTimestamp + delta),
    `v${at}`,
  ]);

// The patch sums offsets and timestamps as Numbers while they stay exact; what it must keep is
// every int64 value kafkajs decoded before, small or not.
test.each([
  ['everyday offsets and millisecond timestamps', 41n, 1_764_000_000_000n, [0n, 5n, 1000n, -3n]],
  ['offsets past 2^53', 2n ** 63n - 10n, 1_764_000_000_000n, [0n, 1n, 2n]],
  ['timestamp deltas longer than seven varint bytes', 0n, 0n, [2n ** 55n, -(2n ** 60n), 7n]],
  ['timestamps that cross 2^53', 5n, 2n ** 53n - 2n, [0n, 1n, 2n, 3n]],
])('a fetched record batch decodes exactly: %s', async (_case, firstOffset, firstTimestamp, deltas) => {
  expect(await roundTrip(firstOffset, firstTimestamp, deltas)).toEqual(
    expected(firstOffset, firstTimestamp, deltas),
  );
});
