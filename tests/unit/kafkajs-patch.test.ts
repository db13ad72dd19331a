import { createRequire } from 'node:module';
import { describe, expect, test, vi } from 'vitest';

/**
 * The patched kafkajs modules themselves, as kafkajs calls them: each patch in patches/ (one
 * concern each, applied in their numbered order) has its own tests here, named after it.
 */
const load = createRequire(import.meta.url);

const groupMessagesPerPartition = load('kafkajs/src/producer/groupMessagesPerPartition.js') as (args: {
  topic: string;
  partitionMetadata: unknown[];
  messages: { partition: number; value: string }[];
  partitioner: (args: { message: { partition: number } }) => number;
}) => Record<number, { partition: number; value: string }[]>;

describe('002 grouping-per-partition-in-linear-time', () => {
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
  headers?: Record<string, string>;
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
) => Promise<{
  records: {
    offset: string;
    timestamp: string;
    key: Buffer | null;
    value: Buffer;
    headers?: Record<string, Buffer | Buffer[]>;
  }[];
}>;

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

describe('004 fetched-offsets-as-numbers-while-exact', () => {
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

describe('003 varints-written-into-the-buffer', () => {
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
});

describe('003 varints-written-into-the-buffer: records', () => {
  // The patch sizes each record's encoder to the record (it allocated 512 bytes for each); what
  // it must keep is every byte of key, value and headers, multi-byte characters included.
  test('records of every size decode back whole, headers included', async () => {
    const values = ['', 'x', 'é'.repeat(300), '€'.repeat(4000), 'z'.repeat(70_000)];
    const records = values.map((value, at) =>
      encodeRecord({
        offsetDelta: at,
        timestampDelta: Long.fromValue(BigInt(at)),
        key: Buffer.from(`clé-${at}`),
        value: Buffer.from(value),
        headers: { origin: `partition-${at}`, ünïcode: 'ok' },
      }),
    );
    const encoded = await encodeRecordBatch({
      firstOffset: Long.fromValue(0n),
      firstTimestamp: Long.fromValue(1_764_000_000_000n),
      maxTimestamp: Long.fromValue(1_764_000_000_000n),
      lastOffsetDelta: records.length - 1,
      records,
    });
    const { records: decoded } = await decodeRecordBatch(new Decoder(encoded.buffer));
    expect(
      decoded.map(({ key, value, headers }) => [
        key?.toString(),
        value.toString(),
        Object.fromEntries(Object.entries(headers ?? {}).map(([name, header]) => [name, String(header)])),
      ]),
    ).toEqual(values.map((value, at) => [`clé-${at}`, value, { origin: `partition-${at}`, ünïcode: 'ok' }]));
  });
});

interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  value: string;
  batchContext: { producerId: string; inTransaction: boolean };
}
const filterAbortedMessages = load('kafkajs/src/consumer/filterAbortedMessages.js') as (args: {
  messages: FetchedMessage[];
  abortedTransactions: { producerId: string; firstOffset: string }[];
}) => FetchedMessage[];

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);
/** One partition's log: what each offset holds, written by which producer. */
function logOf(entries: [producerId: string, what: 'record' | 'abort' | 'commit'][]): FetchedMessage[] {
  return entries.map(([producerId, what], offset) => ({
    offset: String(offset),
    key: what === 'abort' ? ABORT_MARKER_KEY : what === 'commit' ? Buffer.from([0, 0, 0, 1]) : null,
    value: `${what}-${producerId}-${offset}`,
    batchContext: { producerId, inTransaction: true },
  }));
}

describe('001 aborted-transactions-by-first-offset', () => {
  // Transaction A begins, B begins, both write, B aborts, then A aborts, and C commits: the
  // broker lists B's abort before A's (the order of their markers). Unpatched kafkajs walked the
  // list in that order and delivered A's records.
  const log = logOf([
    ['A', 'record'],
    ['B', 'record'],
    ['A', 'record'],
    ['B', 'record'],
    ['B', 'abort'],
    ['A', 'record'],
    ['A', 'abort'],
    ['C', 'record'],
    ['C', 'record'],
    ['C', 'commit'],
  ]);
  const abortedTransactions = [
    { producerId: 'B', firstOffset: '1' },
    { producerId: 'A', firstOffset: '0' },
  ];
  // A fetch from 0 meets each first offset in turn; one from 2 starts inside both transactions.
  test.each([0, 2])('a fetch from offset %i delivers only the committed records', (from) => {
    const delivered = filterAbortedMessages({ messages: log.slice(from), abortedTransactions })
      .filter(({ value }) => value.startsWith('record'))
      .map(({ value }) => value);
    expect(delivered).toEqual(['record-C-7', 'record-C-8']);
  });
});

const RequestQueue = load('kafkajs/src/network/requestQueue/index.js') as new (options: {
  maxInFlightRequests: number;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  clientId: string;
  broker: string;
  logger: { debug(): void; warn(): void };
}) => {
  throttleCheckTimeoutId: unknown;
  throttledUntil: number;
  push(request: unknown): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  destroy(): void;
};

describe('005 request-queue-checks-only-when-pending', () => {
  const newQueue = () =>
    new RequestQueue({
      maxInFlightRequests: 1,
      requestTimeout: 30_000,
      enforceRequestTimeout: false,
      clientId: 'patch-test',
      broker: 'localhost:9092',
      logger: { debug() {}, warn() {} },
    });
  const request = (correlationId: number, sent: number[]) => ({
    entry: { correlationId, apiKey: 0, apiName: 'Produce', apiVersion: 7, resolve() {}, reject() {} },
    expectResponse: true,
    requestTimeout: 30_000,
    sendRequest: () => sent.push(correlationId),
  });

  // Unpatched, every response scheduled a check even with nothing waiting, with a negative
  // delay: a timer every millisecond per connection, and Node 24's TimeoutNegativeWarning.
  test('a response with nothing waiting leaves no timer behind', () => {
    const queue = newQueue();
    const sent: number[] = [];
    queue.push(request(1, sent));
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1]);
    expect(queue.throttleCheckTimeoutId).toBeNull();
    queue.destroy();
  });

  // What the check is for must still hold: a request held back by throttling goes out by itself.
  test('a request held back while throttled is sent once the throttle ends', () => {
    vi.useFakeTimers();
    try {
      const queue = newQueue();
      const sent: number[] = [];
      queue.throttledUntil = Date.now() + 100;
      queue.push(request(2, sent));
      expect(sent).toEqual([]);
      expect(queue.throttleCheckTimeoutId).not.toBeNull();
      vi.advanceTimersByTime(101);
      expect(sent).toEqual([2]);
      queue.destroy();
    } finally {
      vi.useRealTimers();
    }
  });
});
