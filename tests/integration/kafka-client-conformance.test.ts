/**
 * What the runtime relies on from its Kafka client, on the real broker, written against the
 * project's client interface (common/kafka/client.ts) alone: whichever client implements it must
 * pass. The broker restart runs on a private broker with ports of its own, so that the shared
 * broker the other tests use never goes away.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createKafkaClient,
  kafkaErrorKind,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaErrorKind,
  type TransactionalProducer,
} from '../../common/kafka.ts';
import type { OutputRecord, SourceRecord } from '../../common/records.ts';
import { commitTransaction, PartitionProducers } from '../../processor/runtime/producers.ts';
import { kafkaBrokers, privateBroker, uniqueName } from '../support/services.ts';

const kafka = createKafkaClient({ clientId: 'conformance', brokers: kafkaBrokers });
const admin = kafka.admin();
const topics: string[] = [];
const READ_TIMEOUT_MS = 60_000;
const MiB = 1024 * 1024;

/** A topic of this file, deleted after it. */
async function createTopic(partitions: number, compacted = false): Promise<string> {
  const topic = uniqueName('conformance');
  topics.push(topic);
  await admin.ensureTopics([{ topic, partitions, compacted }]);
  return topic;
}

beforeAll(async () => {
  await admin.connect();
});

afterAll(async () => {
  await admin.deleteTopics(topics).catch(() => undefined);
  await admin.disconnect();
});

/** What the failure of an action is classified as; the action must fail. */
async function failureOf(action: () => Promise<unknown>): Promise<KafkaErrorKind> {
  try {
    await action();
  } catch (error) {
    return kafkaErrorKind(error);
  }
  throw new Error('the action succeeded');
}

async function transactionalProducer(transactionalId: string): Promise<TransactionalProducer> {
  const producer = kafka.transactionalProducer(transactionalId);
  await producer.initTransactions();
  return producer;
}

/** Sends records in one transaction, a request per `perRequest` records; commits or aborts it. */
async function transact(
  producer: TransactionalProducer,
  records: OutputRecord[],
  outcome: 'commit' | 'abort',
  perRequest = records.length,
): Promise<void> {
  const transaction = await producer.beginTransaction();
  for (let start = 0; start < records.length; start += perRequest) {
    await transaction.send(records.slice(start, start + perRequest));
  }
  await (outcome === 'commit' ? transaction.commit() : transaction.abort());
}

/**
 * Reads a whole topic with a group consumer, up to each partition's end as it is now (every
 * transaction on it being finished): every record delivered, and how many batches delivered them.
 */
async function readWithGroup(
  topic: string,
  maxBytesPerPartition: number,
  broker: { client: KafkaClient; admin: KafkaAdmin } = { client: kafka, admin },
): Promise<{ records: SourceRecord[]; batches: number }> {
  const ends = await broker.admin.topicOffsets(topic);
  const pending = new Map(
    ends
      .filter(({ low, high }) => BigInt(high) > BigInt(low))
      .map(({ partition, high }) => [partition, BigInt(high)]),
  );
  const records: SourceRecord[] = [];
  let batches = 0;
  if (pending.size === 0) return { records, batches };
  const groupId = uniqueName('conformance-reader');
  // As the runtime joins: once the group's coordinator answers (a broker just started is still
  // loading it, and a consumer joining then gives up).
  await until(
    () =>
      broker.admin.describeGroup(groupId).then(
        () => true,
        () => false,
      ),
    READ_TIMEOUT_MS,
  );
  const consumer = broker.client.groupConsumer({ groupId, maxBytesPerPartition, maxWaitMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe([topic]);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${topic} not read to its end`)), READ_TIMEOUT_MS);
      consumer.onFetchEnd(({ partition, lastOffset }) => {
        const end = pending.get(partition);
        if (end === undefined || BigInt(lastOffset) < end - 1n) return;
        pending.delete(partition);
        if (pending.size > 0) return;
        clearTimeout(timer);
        resolve();
      });
      consumer.onCrash(({ error }) => reject(error));
      consumer
        .run({
          eachBatch: async (batch) => {
            records.push(...batch.records);
            batches += 1;
            batch.resolveOffset(batch.records[batch.records.length - 1]!.offset);
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return { records, batches };
}

/**
 * Reads partitions of a topic to their ends as they are now, as a changelog restore does: the
 * broker knows no more consumer groups while the read runs than before it.
 */
async function readPartitionsToEnd(topic: string, partitions: number[]): Promise<SourceRecord[]> {
  const ends = await admin.topicOffsets(topic);
  const records: SourceRecord[] = [];
  const groupsBefore = await admin.listGroups();
  let groupsDuring: string[] | undefined;
  await kafka.readPartitions({
    topic,
    partitions: ends
      .filter(({ partition }) => partitions.includes(partition))
      .map(({ partition, low, high }) => ({ partition, from: low, to: high })),
    timeoutMs: READ_TIMEOUT_MS,
    onRecords: async (batch) => {
      groupsDuring ??= await admin.listGroups();
      records.push(...batch);
    },
  });
  expect(groupsDuring?.sort()).toEqual(groupsBefore.sort());
  return records;
}

const values = (records: SourceRecord[]) => records.map(({ value }) => value?.toString() ?? null);

describe('read_committed never delivers a record of an aborted transaction', () => {
  test('four transactions of one id, aborted, committed, aborted, committed: exactly the 400 committed records, with 1 MiB and 2 KiB fetches and through readPartitions', async () => {
    const topic = await createTopic(3);
    const producer = await transactionalProducer(uniqueName('conformance-four'));
    const committed: string[] = [];
    try {
      for (const [round, outcome] of (['abort', 'commit', 'abort', 'commit'] as const).entries()) {
        const records = Array.from({ length: 200 }, (_, index) => ({
          topic,
          key: `key-${index % 30}`,
          value: `${outcome}-${round}-${index}-${'x'.repeat(80)}`,
        }));
        // Requests of 10 records, so that a 2 KiB fetch holds a few record batches at most.
        await transact(producer, records, outcome, 10);
        if (outcome === 'commit') committed.push(...records.map(({ value }) => value));
      }
    } finally {
      await producer.disconnect();
    }
    expect(committed).toHaveLength(400);

    const large = await readWithGroup(topic, MiB);
    expect(large.records).toHaveLength(400);
    expect(new Set(values(large.records))).toEqual(new Set(committed));
    const small = await readWithGroup(topic, 2 * 1024);
    expect(small.records).toHaveLength(400);
    expect(new Set(values(small.records))).toEqual(new Set(committed));
    // 2 KiB fetches deliver the 40 committed requests' batches in many fetches, not a few.
    expect(small.batches).toBeGreaterThan(large.batches);
    expect(small.batches).toBeGreaterThanOrEqual(20);

    const restored = await readPartitionsToEnd(topic, [0, 1, 2]);
    expect(restored).toHaveLength(400);
    expect(new Set(values(restored))).toEqual(new Set(committed));
  });

  test('two ids whose transactions on one partition interleave and abort in another order than they began: only the committed records (patches/kafkajs)', async () => {
    // kafkajs 2.2.4 walked the broker's aborted-transaction list as if sorted by first offset; the
    // broker sorts it by abort. A transaction that began first and was aborted last was delivered:
    // a processor killed with transactions open on several partitions made exactly that.
    const topic = await createTopic(1);
    const prefix = uniqueName('conformance-interleaved');
    const [first, second, third] = await Promise.all(
      ['first', 'second', 'third'].map((name) => transactionalProducer(`${prefix}-${name}`)),
    );
    const records = (name: string, count: number) =>
      Array.from({ length: count }, (_, index) => ({
        topic,
        partition: 0,
        key: null,
        value: `${name}-${index}`,
      }));
    try {
      const begunFirst = await first!.beginTransaction();
      await begunFirst.send(records('aborted-last', 5));
      const begunSecond = await second!.beginTransaction();
      await begunSecond.send(records('aborted-first', 5));
      await begunSecond.abort();
      await begunFirst.send(records('aborted-last-again', 2));
      await begunFirst.abort();
      await transact(third!, records('committed', 3), 'commit');
    } finally {
      await Promise.all([first, second, third].map((producer) => producer!.disconnect()));
    }
    const expected = ['committed-0', 'committed-1', 'committed-2'];
    expect(values((await readWithGroup(topic, MiB)).records)).toEqual(expected);
    expect(values((await readWithGroup(topic, 2 * 1024)).records)).toEqual(expected);
    expect(values(await readPartitionsToEnd(topic, [0]))).toEqual(expected);
  });
});

test('a restarted transactional producer with the same id fences the old one, which is told fenced, and goes on', async () => {
  const topic = await createTopic(1);
  const transactionalId = uniqueName('conformance-fence');
  const record = (value: string): OutputRecord => ({ topic, partition: 0, key: 'k', value });
  const old = await transactionalProducer(transactionalId);
  await transact(old, [record('old-committed')], 'commit');
  const restarted = await transactionalProducer(transactionalId);
  try {
    expect(await failureOf(() => transact(old, [record('old-after-fence')], 'commit'))).toEqual({
      kind: 'fenced',
    });
    await transact(restarted, [record('restarted-committed')], 'commit');
  } finally {
    await old.disconnect().catch(() => undefined);
    await restarted.disconnect();
  }
  expect(values((await readWithGroup(topic, MiB)).records)).toEqual(['old-committed', 'restarted-committed']);
});

test("a stale owner of a source partition cannot commit offsets once another has claimed it: refused as fenced, the offsets stay the new owner's", async () => {
  const source = await createTopic(2);
  const output = await createTopic(1);
  const groupId = uniqueName('conformance-owners');
  // Two instances, each with a client of its own, under the runtime's scheme: one transactional
  // id per source partition, shared by every instance of the group.
  const [clientA, clientB] = ['a', 'b'].map((name) =>
    createKafkaClient({ clientId: `conformance-${name}`, brokers: kafkaBrokers }),
  );
  const [adminA, adminB] = [clientA!.admin(), clientB!.admin()];
  await Promise.all([adminA.connect(), adminB.connect()]);
  const ownerA = new PartitionProducers(clientA!, adminA, groupId, groupId);
  const ownerB = new PartitionProducers(clientB!, adminB, groupId, groupId);
  const out = (value: string): OutputRecord[] => [{ topic: output, partition: 0, key: 'k', value }];
  try {
    const claimA = await ownerA.claim(source, 1);
    expect(claimA).toMatchObject({ claimed: true });
    expect(claimA.resumeFrom).toBeUndefined();
    await commitTransaction(claimA.producer, groupId, out('a-10'), {
      topic: source,
      partition: 1,
      nextOffset: '10',
    });

    const claimB = await ownerB.claim(source, 1);
    expect(claimB).toMatchObject({ claimed: true, resumeFrom: '10' });
    await commitTransaction(claimB.producer, groupId, out('b-20'), {
      topic: source,
      partition: 1,
      nextOffset: '20',
    });

    const stale = await failureOf(() =>
      commitTransaction(claimA.producer, groupId, out('a-15'), {
        topic: source,
        partition: 1,
        nextOffset: '15',
      }),
    );
    expect(stale).toEqual({ kind: 'fenced' });
    expect(await admin.committedOffsets(groupId, source)).toEqual(new Map([[1, '20']]));
    expect(values((await readWithGroup(output, MiB)).records)).toEqual(['a-10', 'b-20']);
  } finally {
    await Promise.all([ownerA.releaseAll(), ownerB.releaseAll()]);
    await Promise.all([adminA.disconnect(), adminB.disconnect()]);
  }
});

test('offsets of several partitions sent in one transaction all commit', async () => {
  const source = await createTopic(3);
  const groupId = uniqueName('conformance-offsets');
  const producer = await transactionalProducer(uniqueName('conformance-offsets'));
  try {
    const transaction = await producer.beginTransaction();
    await transaction.sendOffsets(groupId, [
      { topic: source, partition: 0, nextOffset: '5' },
      { topic: source, partition: 1, nextOffset: '7' },
      { topic: source, partition: 2, nextOffset: '9' },
    ]);
    await transaction.commit();
  } finally {
    await producer.disconnect();
  }
  expect(await admin.committedOffsets(groupId, source)).toEqual(
    new Map([
      [0, '5'],
      [1, '7'],
      [2, '9'],
    ]),
  );
});

test('a group consumer pauses one partition and resumes it: nothing of it arrives meanwhile, then all of it in order', async () => {
  const topic = await createTopic(2);
  const producer = kafka.producer();
  await producer.connect();
  const send = (partition: number, from: number) =>
    producer.send(
      Array.from({ length: 10 }, (_, index) => ({
        topic,
        partition,
        key: null,
        value: `${partition}-${from + index}`,
      })),
    );
  const delivered = new Map<number, string[]>([
    [0, []],
    [1, []],
  ]);
  const consumer = kafka.groupConsumer({ groupId: uniqueName('conformance-pause'), maxWaitMs: 100 });
  await consumer.connect();
  try {
    // One request a partition: each ten are one record batch, delivered in one batch.
    await send(0, 0);
    await send(1, 0);
    await consumer.subscribe([topic]);
    await consumer.run({
      eachBatch: async ({ partition, records, resolveOffset }) => {
        delivered.get(partition)!.push(...values(records).map(String));
        resolveOffset(records[records.length - 1]!.offset);
        if (partition === 0 && delivered.get(0)!.length === 10) consumer.pause(topic, [0]);
      },
    });
    await until(() => delivered.get(0)!.length === 10 && delivered.get(1)!.length === 10);

    await send(0, 10);
    await send(1, 10);
    await until(() => delivered.get(1)!.length === 20);
    // Fetches of the other partition go on; a paused one would have had its records by now.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(delivered.get(0)).toHaveLength(10);

    consumer.resume(topic, [0]);
    await until(() => delivered.get(0)!.length === 20);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const inOrder = (partition: number) => Array.from({ length: 20 }, (_, index) => `${partition}-${index}`);
    expect(delivered.get(0)).toEqual(inOrder(0));
    expect(delivered.get(1)).toEqual(inOrder(1));
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
});

test("readPartitions reads a compacted changelog's assigned partitions to their end: exactly their committed records, and the state they give", async () => {
  const changelog = await createTopic(3, true);
  const producer = await transactionalProducer(uniqueName('conformance-changelog'));
  // As the runtime writes a changelog: each key in its task's partition, new values and
  // tombstones in later transactions, and an aborted transaction that must leave no trace.
  const entry = (index: number, value: string | null): OutputRecord => ({
    topic: changelog,
    partition: index % 3,
    key: `key-${index}`,
    value,
  });
  const keys = Array.from({ length: 30 }, (_, index) => index);
  try {
    await transact(
      producer,
      keys.map((index) => entry(index, `v1-${index}`)),
      'commit',
    );
    await transact(
      producer,
      keys.filter((index) => index < 12).map((index) => entry(index, `v2-${index}`)),
      'commit',
    );
    await transact(
      producer,
      keys.filter((index) => index >= 24).map((index) => entry(index, null)),
      'commit',
    );
    await transact(
      producer,
      keys.map((index) => entry(index, `aborted-${index}`)),
      'abort',
    );
  } finally {
    await producer.disconnect();
  }
  const assigned = [0, 2];
  const records = await readPartitionsToEnd(changelog, assigned);
  const ours = keys.filter((index) => assigned.includes(index % 3));
  // 20 first values, 8 second values, 4 tombstones in partitions 0 and 2.
  expect(records).toHaveLength(
    ours.length + ours.filter((index) => index < 12).length + ours.filter((index) => index >= 24).length,
  );
  expect(records).toHaveLength(32);
  expect(new Set(records.map(({ partition }) => partition))).toEqual(new Set(assigned));
  const state = new Map<string, string | null>();
  for (const { key, value } of records) state.set(key!, value?.toString() ?? null);
  expect(state).toEqual(
    new Map(
      ours.map((index) => [`key-${index}`, index < 12 ? `v2-${index}` : index >= 24 ? null : `v1-${index}`]),
    ),
  );
});

describe('failures the runtime tells apart', () => {
  test("a record over the broker's limit is refused, with the broker's reason", async () => {
    const topic = await createTopic(1);
    const producer = await transactionalProducer(uniqueName('conformance-oversized'));
    try {
      const oversized: OutputRecord = { topic, partition: 0, key: 'k', value: 'x'.repeat(1_100_000) };
      expect(await failureOf(() => transact(producer, [oversized], 'commit'))).toEqual({
        kind: 'record refused',
        code: 'MESSAGE_TOO_LARGE',
      });
    } finally {
      await producer.disconnect();
    }
  });

  const privateKafka = privateBroker({ kafka: 19292, controller: 19293 });
  afterAll(() => privateKafka.remove());

  test('a broker restart gives retriable failures, and the client goes on once the broker is back', async () => {
    const up = privateKafka.up();
    expect(up.status, up.output).toBe(0);
    const client = createKafkaClient({
      clientId: 'conformance-restart',
      brokers: privateKafka.brokers,
    });
    const privateAdmin = client.admin();
    const producer = client.producer();
    const topic = uniqueName('conformance-restart');
    const record = (value: string) => [{ topic, key: 'k', value }];
    await privateAdmin.connect();
    await privateAdmin.ensureTopics([{ topic, partitions: 1 }]);
    await producer.connect();
    try {
      await producer.send(record('before'));
      expect(privateKafka.down().output).toMatch(/kafka: stopped/);
      expect(await failureOf(() => producer.send(record('while-down')))).toEqual({ kind: 'retriable' });
      expect(await failureOf(() => privateAdmin.topicOffsets(topic))).toEqual({ kind: 'retriable' });

      expect(privateKafka.up().status).toBe(0);
      // The broker answers a moment after it listens: the admin is asked until it does.
      await until(
        () =>
          privateAdmin.topicOffsets(topic).then(
            () => true,
            () => false,
          ),
        60_000,
      );
      await producer.send(record('after'));
      expect(values((await readWithGroup(topic, MiB, { client, admin: privateAdmin })).records)).toEqual([
        'before',
        'after',
      ]);
    } finally {
      await producer.disconnect().catch(() => undefined);
      await privateAdmin.disconnect().catch(() => undefined);
    }
  }, 300_000);
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
