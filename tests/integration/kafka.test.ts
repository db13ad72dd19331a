import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, expect, test } from 'vitest';
import { ensureTopics } from '../../common/kafka.ts';
import { kafkaBrokers, uniqueName } from './services.ts';

const kafka = new Kafka({ clientId: 'foundation-test', brokers: kafkaBrokers, logLevel: logLevel.WARN });
const admin = kafka.admin();
const topic = uniqueName('foundation');

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

test('a consumer group reads 10,000 keyed messages exactly once, in order within each partition', async () => {
  const partitions = 4;
  const keys = 50;
  const total = 10_000;
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });

  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const messages = Array.from({ length: total }, (_, index) => ({
    key: `key-${index % keys}`,
    value: JSON.stringify({ index, sequenceOfKey: Math.floor(index / keys) }),
  }));
  for (let start = 0; start < total; start += 1000) {
    await producer.send({ topic, acks: -1, messages: messages.slice(start, start + 1000) });
  }
  await producer.disconnect();

  const seen = new Map<number, { partition: number; offset: bigint }>();
  const lastOffsetOfPartition = new Map<number, bigint>();
  const lastSequenceOfKey = new Map<string, number>();
  const partitionOfKey = new Map<string, number>();
  let duplicates = 0;
  let outOfOrder = 0;

  const consumer = kafka.consumer({ groupId: uniqueName('foundation-group') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          const key = message.key!.toString();
          const { index, sequenceOfKey } = JSON.parse(message.value!.toString()) as {
            index: number;
            sequenceOfKey: number;
          };
          const offset = BigInt(message.offset);
          if (seen.has(index)) duplicates += 1;
          seen.set(index, { partition, offset });
          if ((lastOffsetOfPartition.get(partition) ?? -1n) >= offset) outOfOrder += 1;
          lastOffsetOfPartition.set(partition, offset);
          if ((lastSequenceOfKey.get(key) ?? -1) >= sequenceOfKey) outOfOrder += 1;
          lastSequenceOfKey.set(key, sequenceOfKey);
          if (partitionOfKey.has(key) && partitionOfKey.get(key) !== partition) outOfOrder += 1;
          partitionOfKey.set(key, partition);
          if (seen.size === total) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();

  expect(seen.size).toBe(total);
  expect(duplicates).toBe(0);
  expect(outOfOrder).toBe(0);
  expect(new Set([...seen.values()].map(({ partition }) => partition)).size).toBe(partitions);
});

test('programs starting together may race to create the topics they share: each one succeeds', async () => {
  const shared = uniqueName('shared');
  const ownA = uniqueName('own-a');
  const ownB = uniqueName('own-b');
  const admins = [kafka.admin(), kafka.admin(), kafka.admin()];
  await Promise.all(admins.map((each) => each.connect()));
  try {
    const created = await Promise.allSettled([
      ensureTopics(admins[0]!, [shared, ownA]),
      ensureTopics(admins[1]!, [shared, ownB]),
      ensureTopics(admins[2]!, [shared]),
    ]);
    expect(created.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const topics = await admins[0]!.fetchTopicMetadata({ topics: [shared, ownA, ownB] });
    expect(topics.topics.map(({ partitions }) => partitions.length)).toEqual([3, 3, 3]);
  } finally {
    await admins[0]!.deleteTopics({ topics: [shared, ownA, ownB] }).catch(() => undefined);
    await Promise.all(admins.map((each) => each.disconnect()));
  }
});

test('a read_committed consumer skips transactions aborted in another order than they began (patches/kafkajs)', async () => {
  // kafkajs 2.2.4 walked the broker's aborted-transaction list as if sorted by first offset; the
  // broker sorts it by abort. A transaction that began first and was aborted last was delivered:
  // a processor killed with transactions open on several partitions made exactly that.
  const interleaved = uniqueName('aborted-interleaved');
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: interleaved, numPartitions: 1 }], waitForLeaders: true });
  const producers = ['first', 'second', 'committed'].map((name) =>
    kafka.producer({ transactionalId: `${interleaved}-${name}`, idempotent: true, maxInFlightRequests: 1 }),
  );
  const [first, second, committed] = producers as [Producer, Producer, Producer];
  await Promise.all(producers.map((producer) => producer.connect()));
  const values = (name: string, count: number) =>
    Array.from({ length: count }, (_, index) => ({ value: `${name}-${index}` }));
  try {
    const begunFirst = await first.transaction();
    await begunFirst.send({ topic: interleaved, acks: -1, messages: values('aborted-last', 5) });
    const begunSecond = await second.transaction();
    await begunSecond.send({ topic: interleaved, acks: -1, messages: values('aborted-first', 5) });
    await begunSecond.abort();
    await begunFirst.send({ topic: interleaved, acks: -1, messages: values('aborted-last-again', 2) });
    await begunFirst.abort();
    const kept = await committed.transaction();
    await kept.send({ topic: interleaved, acks: -1, messages: values('committed', 3) });
    await kept.commit();

    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('aborted-reader'), readUncommitted: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: interleaved, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              seen.push(message.value!.toString());
              if (seen.includes('committed-2')) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual(['committed-0', 'committed-1', 'committed-2']);
  } finally {
    await Promise.all(producers.map((producer) => producer.disconnect()));
    await admin.deleteTopics({ topics: [interleaved] }).catch(() => undefined);
  }
});
