import { createRequire } from 'node:module';
import { expect, test } from 'vitest';

/** The patched kafkajs modules themselves (patches/kafkajs+2.2.4.patch), as kafkajs calls them. */
const load = createRequire(import.meta.url);

const groupMessagesPerPartition = load('kafkajs/src/producer/groupMessagesPerPartition.js') as (args: {
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
const Decoder = load('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => {
  readVarInt(): number;
  readVarLong(): LongValue;
};
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

const Encoder = load('kafkajs/src/protocol/encoder.js') as {
  new (): {
    writeVarInt(value: number): unknown;
    writeVarLong(value: number | LongValue): unknown;
    buffer: Buffer;
  };
  sizeOfVarLong(value: number | LongValue): number;
};

/** The protocol's zigzag varint bytes of a signed 64-bit value, computed here with BigInt. */
function zigZagBytes(value: bigint): number[] {
  let unsigned = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const bytes: number[] = [];
  while (unsigned >= 0x80n) {
    bytes.push(Number(unsigned & 0x7fn) | 0x80);
    unsigned >>= 7n;
  }
  bytes.push(Number(unsigned));
  return bytes;
}

// The patch writes varints straight into the buffer and varlongs given as Numbers without
// BigInt; what it must keep is the bytes, for every value, and the sizes announced beforehand.
test('varints and varlongs encode to the protocol bytes and decode back', () => {
  const int32s = [0, 1, -1, 63, -64, 64, 8191, -8192, 2 ** 31 - 1, -(2 ** 31)];
  const longs = [...int32s, 2 ** 35, -(2 ** 35) - 3, 2 ** 52 - 1, -(2 ** 52 - 1), 2 ** 52, -(2 ** 53) + 1];
  const encoder = new Encoder();
  for (const value of int32s) encoder.writeVarInt(value);
  for (const value of longs) encoder.writeVarLong(value);
  const bigs = [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n];
  for (const value of bigs) encoder.writeVarLong(Long.fromValue(value));
  const expectedBytes = [...int32s, ...longs].map(BigInt).concat(bigs).flatMap(zigZagBytes);
  expect([...encoder.buffer]).toEqual(expectedBytes);
  for (const value of longs) expect(Encoder.sizeOfVarLong(value)).toBe(zigZagBytes(BigInt(value)).length);

  const decoder = new Decoder(encoder.buffer);
  expect(int32s.map(() => decoder.readVarInt())).toEqual(int32s);
  expect([...longs, ...bigs].map(() => decoder.readVarLong().toString())).toEqual(
    [...longs, ...bigs].map(String),
  );
});
