import { describe, expect, test } from 'vitest';
import { createProcessorMetrics } from '../../processor/metrics.ts';
import { ChunkCommitter } from '../../processor/runtime/committer.ts';
import { PartitionOwnership } from '../../processor/runtime/ownership.ts';
import { PartitionProducers } from '../../processor/runtime/producers.ts';
import { sourceNodes } from '../../processor/runtime/topics.ts';
import { brokerError, capturedLog, FakeBroker, FakeKafka, INFO, metricValue } from './runtime-fakes.ts';
import { NAMING, sightingRecords, wordCounts } from './runtime-topologies.ts';

const GROUP = 'processor-counts';
const WORDS = 'test.words';
const CHANGELOG = 'test.processor-counts-words-changelog';
const producerId = (partition: number) => `${GROUP}-${WORDS}-${partition}`;

/** One processor instance's ownership of the `counts` topology's partitions, on a shared broker. */
function instance(broker = new FakeBroker()) {
  broker.partitionCounts.set(CHANGELOG, 2);
  const kafka = new FakeKafka(broker);
  const admin = kafka.admin();
  const metrics = createProcessorMetrics();
  const { log, entries } = capturedLog();
  const producers = new PartitionProducers(kafka, admin, GROUP, GROUP);
  const committer = new ChunkCommitter(producers, GROUP, wordCounts.name, metrics, log);
  const ownership = new PartitionOwnership({
    topology: wordCounts,
    nodes: sourceNodes(wordCounts, NAMING),
    settings: NAMING,
    kafka,
    admin,
    producers,
    committer,
    metrics,
    log,
  });
  ownership.partitionCounts = new Map([[WORDS, 2]]);
  return { broker, kafka, metrics, entries, producers, committer, ownership };
}

/** Runs a chunk of words through a partition's task and commits it, as the consumer loop does. */
async function processAndCommit(
  { ownership, committer }: ReturnType<typeof instance>,
  partition: number,
  firstOffset: number,
  words: string[],
) {
  const owned = await ownership.taskFor(WORDS, partition);
  const effects = owned.task.runBatch(sightingRecords(WORDS, partition, firstOffset, words));
  const nextOffset = String(firstOffset + words.length);
  const chunk = { topic: WORDS, partition, firstOffset: String(firstOffset), nextOffset };
  const committed = await committer.commit(effects, chunk, () => false);
  if (committed) owned.nextOffset = nextOffset;
  return { committed, effects };
}

describe('claiming a partition', () => {
  test('restores the task from the changelog records served, and the next batch continues from them', async () => {
    const parts = instance();
    const { broker, kafka, metrics, entries, ownership } = parts;
    broker.logs.set(`${CHANGELOG}/1`, [
      { topic: CHANGELOG, partition: 1, key: 'counts/apple', value: '2' },
      { topic: CHANGELOG, partition: 1, key: 'counts/pear', value: '1' },
      { topic: CHANGELOG, partition: 1, key: 'counts/apple', value: '3' },
      { topic: CHANGELOG, partition: 1, key: 'counts/pear', value: null },
    ]);
    broker.commitOffset(GROUP, WORDS, 1, '7');

    const owned = await ownership.taskFor(WORDS, 1);
    expect(kafka.reads).toEqual([[{ partition: 1, from: '0', to: '4' }]]);
    expect(owned.nextOffset).toBe('7');
    expect(owned.task.partitionCount).toBe(2);
    expect(owned.task.stateSize).toBe(1);
    const effects = owned.task.runBatch(sightingRecords(WORDS, 1, 7, ['apple', 'pear']));
    expect(effects.rows.map(({ values }) => values)).toEqual([
      { word: 'apple', count: 4 },
      { word: 'pear', count: 1 },
    ]);

    expect(await ownership.taskFor(WORDS, 1)).toBe(owned);
    expect(kafka.producersOf(producerId(1))).toHaveLength(1);
    expect(kafka.producersOf(producerId(1))[0]!.initialised).toBe(true);
    expect(await metricValue(metrics.partitionClaims, { pipeline: 'counts', topic: WORDS })).toBe(1);
    expect(await metricValue(metrics.stateRestoredRecords, { pipeline: 'counts' })).toBe(4);
    expect(await metricValue(metrics.stateRestore, { pipeline: 'counts' }, 'count')).toBe(1);
    expect(entries.filter(({ level }) => level === INFO).map(({ msg }) => msg)).toEqual([
      'state restored from the changelog',
    ]);
  });

  test('a partition taken over by another instance resumes from what its previous owner committed', async () => {
    const first = instance();
    await processAndCommit(first, 0, 0, ['apple', 'apple', 'pear']);

    const second = instance(first.broker);
    const owned = await second.ownership.taskFor(WORDS, 0);
    expect(owned.nextOffset).toBe('3');
    const effects = owned.task.runBatch(sightingRecords(WORDS, 0, 3, ['apple']));
    expect(effects.rows.map(({ values }) => values)).toEqual([{ word: 'apple', count: 3 }]);
    // The claim fenced the previous owner: its next commit is refused.
    expect((await processAndCommit(first, 0, 3, ['pear'])).committed).toBe(false);
  });

  test('lets go of a producer still held without a task, and reads the commit that producer made', async () => {
    const parts = instance();
    const { kafka, ownership, committer } = parts;
    const owned = await ownership.taskFor(WORDS, 0);
    const effects = owned.task.runBatch(sightingRecords(WORDS, 0, 0, ['apple']));
    // A rebalance drops the task while its chunk is in flight; the chunk still commits.
    await ownership.forgetRevoked({});
    const chunk = { topic: WORDS, partition: 0, firstOffset: '0', nextOffset: '1' };
    expect(await committer.commit(effects, chunk, () => false)).toBe(true);
    const held = kafka.producersOf(producerId(0)).at(-1)!;
    expect(held.disconnected).toBe(false);

    const again = await ownership.taskFor(WORDS, 0);
    expect(held.disconnected).toBe(true);
    expect(kafka.producersOf(producerId(0))).toHaveLength(3);
    expect(again.nextOffset).toBe('1');
    expect(again.task.runBatch(sightingRecords(WORDS, 0, 1, ['apple'])).rows[0]!.values).toEqual({
      word: 'apple',
      count: 2,
    });
  });
});

describe('giving a partition up', () => {
  test("a revoked partition's task is forgotten and its producer released; an assigned one is kept", async () => {
    const { kafka, ownership } = instance();
    await ownership.taskFor(WORDS, 0);
    await ownership.taskFor(WORDS, 1);

    await ownership.forgetRevoked({ [WORDS]: [1] });
    expect(kafka.producersOf(producerId(0))[0]!.disconnected).toBe(true);
    expect(kafka.producersOf(producerId(1))[0]!.disconnected).toBe(false);
    expect([...ownership.ownedTasks()].map(({ partition }) => partition)).toEqual([1]);

    await ownership.taskFor(WORDS, 0);
    expect(kafka.producersOf(producerId(0))).toHaveLength(2);
  });

  test('a dropped task is claimed and restored again for its next chunk', async () => {
    const parts = instance();
    const { kafka, metrics, ownership } = parts;
    await processAndCommit(parts, 0, 0, ['apple']);

    await ownership.dropTask(WORDS, 0);
    expect(kafka.producersOf(producerId(0))[0]!.disconnected).toBe(true);
    expect([...ownership.ownedTasks()]).toEqual([]);

    const owned = await ownership.taskFor(WORDS, 0);
    expect(kafka.reads).toHaveLength(2);
    expect(owned.task.stateSize).toBe(1);
    expect(await metricValue(metrics.partitionClaims, { pipeline: 'counts', topic: WORDS })).toBe(2);
  });
});

describe('records the consumer filters out', () => {
  test('move the task past them with a commit of the offset alone', async () => {
    const { broker, kafka, ownership } = instance();
    broker.commitOffset(GROUP, WORDS, 0, '5');
    const owned = await ownership.taskFor(WORDS, 0);

    await ownership.skipFiltered(WORDS, 0, '9');
    expect(owned.nextOffset).toBe('10');
    const [transaction] = kafka.producersOf(producerId(0))[0]!.transactions;
    expect(transaction!.sends).toEqual([]);
    expect(transaction!.offsets).toEqual([
      { groupId: GROUP, positions: [{ topic: WORDS, partition: 0, nextOffset: '10' }] },
    ]);
    expect(transaction!.outcome).toBe('committed');
    expect(broker.committed.get(`${GROUP}/${WORDS}`)!.get(0)).toBe('10');

    // A fetch end the task is past already changes nothing.
    await ownership.skipFiltered(WORDS, 0, '8');
    expect(owned.nextOffset).toBe('10');
    expect(kafka.producersOf(producerId(0))[0]!.transactions).toHaveLength(1);
  });

  test('a task with nothing committed yet only moves on; a partition not owned is left alone', async () => {
    const { kafka, ownership } = instance();
    const owned = await ownership.taskFor(WORDS, 0);

    await ownership.skipFiltered(WORDS, 0, '2');
    expect(owned.nextOffset).toBe('3');
    expect(kafka.producersOf(producerId(0))[0]!.transactions).toEqual([]);

    await ownership.skipFiltered(WORDS, 1, '2');
    expect(kafka.producersOf(producerId(1))).toEqual([]);
  });

  test('a failed commit of the skip drops the task, to be claimed again', async () => {
    const { broker, kafka, ownership } = instance();
    broker.commitOffset(GROUP, WORDS, 0, '5');
    await ownership.taskFor(WORDS, 0);
    broker.commitFailures.push(brokerError('COORDINATOR_NOT_AVAILABLE', true));

    await ownership.skipFiltered(WORDS, 0, '9');
    expect([...ownership.ownedTasks()]).toEqual([]);
    expect(kafka.producersOf(producerId(0))[0]!.disconnected).toBe(true);
    expect(broker.committed.get(`${GROUP}/${WORDS}`)!.get(0)).toBe('5');
  });
});
