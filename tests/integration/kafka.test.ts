import { afterAll, expect, test } from 'vitest';
import { createKafkaClient } from '../../common/kafka.ts';
import { kafkaBrokers, uniqueName } from '../support/services.ts';

const kafka = createKafkaClient({ clientId: 'foundation-test', brokers: kafkaBrokers });
const admin = kafka.admin();
const topic = uniqueName('foundation');

afterAll(async () => {
  await admin.deleteTopics([topic]).catch(() => undefined);
  await admin.disconnect();
});

test('a consumer group reads 10,000 keyed messages exactly once, in order within each partition', async () => {
  const partitions = 4;
  const keys = 50;
  const total = 10_000;
  await admin.connect();
  await admin.ensureTopics([{ topic, partitions }]);

  const producer = kafka.producer();
  await producer.connect();
  const records = Array.from({ length: total }, (_, index) => ({
    topic,
    key: `key-${index % keys}`,
    value: JSON.stringify({ index, sequenceOfKey: Math.floor(index / keys) }),
  }));
  for (let start = 0; start < total; start += 1000) {
    await producer.send(records.slice(start, start + 1000));
  }
  await producer.disconnect();

  const seen = new Map<number, { partition: number; offset: bigint }>();
  const lastOffsetOfPartition = new Map<number, bigint>();
  const lastSequenceOfKey = new Map<string, number>();
  const partitionOfKey = new Map<string, number>();
  let duplicates = 0;
  let outOfOrder = 0;

  const consumer = kafka.groupConsumer({ groupId: uniqueName('foundation-group') });
  await consumer.connect();
  await consumer.subscribe([topic]);
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ records: batch, resolveOffset }) => {
          for (const record of batch) {
            const key = record.key!;
            const { partition } = record;
            const { index, sequenceOfKey } = JSON.parse(record.value!.toString()) as {
              index: number;
              sequenceOfKey: number;
            };
            const offset = BigInt(record.offset);
            if (seen.has(index)) duplicates += 1;
            seen.set(index, { partition, offset });
            if ((lastOffsetOfPartition.get(partition) ?? -1n) >= offset) outOfOrder += 1;
            lastOffsetOfPartition.set(partition, offset);
            if ((lastSequenceOfKey.get(key) ?? -1) >= sequenceOfKey) outOfOrder += 1;
            lastSequenceOfKey.set(key, sequenceOfKey);
            if (partitionOfKey.has(key) && partitionOfKey.get(key) !== partition) outOfOrder += 1;
            partitionOfKey.set(key, partition);
            resolveOffset(record.offset);
            if (seen.size === total) resolve();
          }
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
      admins[0]!.ensureTopics([shared, ownA]),
      admins[1]!.ensureTopics([shared, ownB]),
      admins[2]!.ensureTopics([shared]),
    ]);
    expect(created.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const partitions = await admins[0]!.partitionCounts([shared, ownA, ownB]);
    expect([shared, ownA, ownB].map((name) => partitions.get(name))).toEqual([3, 3, 3]);
  } finally {
    await admins[0]!.deleteTopics([shared, ownA, ownB]).catch(() => undefined);
    await Promise.all(admins.map((each) => each.disconnect()));
  }
});
