import { describe, expect, test } from 'vitest';
import { Task } from '../../processor/dsl/task.ts';
import { createProcessorMetrics } from '../../processor/metrics.ts';
import { ChunkCommitter } from '../../processor/runtime/committer.ts';
import { oversizedRecords, PartitionProducers, RECORD_MAX_BYTES } from '../../processor/runtime/producers.ts';
import { sourceTopics } from '../../processor/runtime/topics.ts';
import {
  brokerError,
  capturedLog,
  ERROR,
  FakeBroker,
  FakeKafka,
  metricValue,
  WARN,
} from './runtime-fakes.ts';
import { NAMING, sightingRecords, wordCounts } from './runtime-topologies.ts';

const GROUP = 'processor-counts';
const WORDS = 'test.words';
const COUNTS = 'test.word-counts';
const CHANGELOG = 'test.processor-counts-words-changelog';
const PRODUCER = `${GROUP}-${WORDS}-0`;
const never = () => false;

/** One instance's committer for the `counts` topology, and a task of partition 0 to make chunks. */
function instance(broker = new FakeBroker()) {
  const kafka = new FakeKafka(broker);
  const metrics = createProcessorMetrics();
  const { log, entries } = capturedLog();
  const producers = new PartitionProducers(kafka, kafka.admin(), GROUP, GROUP);
  const committer = new ChunkCommitter(producers, GROUP, wordCounts.name, metrics, log);
  const node = wordCounts.sources[0]!;
  const task = new Task(node, 0, 2, sourceTopics(wordCounts, node, NAMING));
  /** The effects of a chunk of words from `firstOffset` on, and where it lies. */
  const chunkOf = (firstOffset: number, words: string[]) => ({
    effects: task.runBatch(sightingRecords(WORDS, 0, firstOffset, words)),
    chunk: {
      topic: WORDS,
      partition: 0,
      firstOffset: String(firstOffset),
      nextOffset: String(firstOffset + words.length),
    },
  });
  return { broker, kafka, metrics, entries, producers, committer, chunkOf };
}

describe('a chunk commits', () => {
  test('its outputs, changelog records and offset in one transaction of its partition', async () => {
    const { broker, kafka, metrics, committer, chunkOf } = instance();
    const { effects, chunk } = chunkOf(0, ['apple', 'pear', 'apple']);

    expect(await committer.commit(effects, chunk, never)).toBe(true);
    const [producer] = kafka.producersOf(PRODUCER);
    const [transaction] = producer!.transactions;
    expect(transaction!.outcome).toBe('committed');
    expect(transaction!.sends.flat()).toEqual(effects.outputs);
    expect(transaction!.offsets).toEqual([
      { groupId: GROUP, positions: [{ topic: WORDS, partition: 0, nextOffset: '3' }] },
    ]);
    expect(broker.log(COUNTS).map(({ value }) => value)).toEqual(['1', '1', '2']);
    expect(broker.log(CHANGELOG, 0).map(({ key }) => key)).toEqual(
      expect.arrayContaining(['counts/apple', 'counts/pear']),
    );
    expect(broker.committed.get(`${GROUP}/${WORDS}`)!.get(0)).toBe('3');

    // The next chunk goes through the same producer, without claiming again.
    const next = chunkOf(3, ['pear']);
    expect(await committer.commit(next.effects, next.chunk, never)).toBe(true);
    expect(kafka.producersOf(PRODUCER)).toHaveLength(1);
    expect(producer!.transactions).toHaveLength(2);
    expect(await metricValue(metrics.partitionClaims, { pipeline: 'counts', topic: WORDS })).toBe(1);
  });

  test('not at all when stale, without claiming the partition', async () => {
    const { kafka, committer, chunkOf } = instance();
    const { effects, chunk } = chunkOf(0, ['apple']);
    expect(await committer.commit(effects, chunk, () => true)).toBe(false);
    expect(kafka.producers).toEqual([]);
  });
});

describe('a claim made for a retry tells where the committed work stands', () => {
  test('the chunk committed already: done, nothing sent again', async () => {
    const { broker, kafka, committer, chunkOf } = instance();
    const { effects, chunk } = chunkOf(4, ['apple']);
    broker.commitOffset(GROUP, WORDS, 0, '5');
    expect(await committer.commit(effects, chunk, never)).toBe(true);
    expect(kafka.producersOf(PRODUCER)[0]!.transactions).toEqual([]);
  });

  test("another owner's later work committed: the chunk is not ours", async () => {
    const { broker, kafka, committer, chunkOf } = instance();
    const { effects, chunk } = chunkOf(4, ['apple']);
    broker.commitOffset(GROUP, WORDS, 0, '9');
    expect(await committer.commit(effects, chunk, never)).toBe(false);
    expect(kafka.producersOf(PRODUCER)[0]!.transactions).toEqual([]);
  });

  test('committed up to the chunk: it commits', async () => {
    const { broker, committer, chunkOf } = instance();
    const { effects, chunk } = chunkOf(4, ['apple']);
    broker.commitOffset(GROUP, WORDS, 0, '4');
    expect(await committer.commit(effects, chunk, never)).toBe(true);
    expect(broker.committed.get(`${GROUP}/${WORDS}`)!.get(0)).toBe('5');
  });
});

describe('a commit that fails', () => {
  test('fenced: false, counted, warned once, and its producer released', async () => {
    const first = instance();
    const chunks = [first.chunkOf(0, ['apple']), first.chunkOf(1, ['pear'])];
    expect(await first.committer.commit(chunks[0]!.effects, chunks[0]!.chunk, never)).toBe(true);
    // Another instance claims the partition, fencing the first.
    await new PartitionProducers(new FakeKafka(first.broker), first.kafka.admin(), GROUP, GROUP).claim(
      WORDS,
      0,
    );

    expect(await first.committer.commit(chunks[1]!.effects, chunks[1]!.chunk, never)).toBe(false);
    expect(first.kafka.producersOf(PRODUCER)[0]!.disconnected).toBe(true);
    expect(await metricValue(first.metrics.fencedCommits, { pipeline: 'counts', topic: WORDS })).toBe(1);
    expect(first.entries.filter(({ level }) => level === WARN)).toEqual([
      expect.objectContaining({
        partition: 0,
        msg: 'fenced: another instance has claimed the partition; leaving this chunk to it',
      }),
    ]);
    expect(first.broker.committed.get(`${GROUP}/${WORDS}`)!.get(0)).toBe('1');
  });

  test('for a reason that may pass: thrown for the retry, which claims the partition afresh', async () => {
    const { broker, kafka, committer, chunkOf } = instance();
    const { effects, chunk } = chunkOf(0, ['apple']);
    const unavailable = brokerError('COORDINATOR_NOT_AVAILABLE', true);
    broker.commitFailures.push(unavailable);

    await expect(committer.commit(effects, chunk, never)).rejects.toBe(unavailable);
    expect(kafka.producersOf(PRODUCER)[0]!.disconnected).toBe(true);
    expect(kafka.producersOf(PRODUCER)[0]!.transactions[0]!.outcome).toBe('aborted');
    expect(await committer.commit(effects, chunk, never)).toBe(true);
    expect(kafka.producersOf(PRODUCER)).toHaveLength(2);
  });

  test('on a record the broker refuses: that record is set aside and counted, and the retry sends singly', async () => {
    const { broker, kafka, metrics, entries, committer, chunkOf } = instance();
    broker.refuses = (record) => record.topic === COUNTS && record.key === 'refused';
    const { effects, chunk } = chunkOf(0, ['apple', 'refused', 'pear']);
    const refused = effects.outputs.find((record) => record.key === 'refused')!;

    await expect(committer.commit(effects, chunk, never)).rejects.toMatchObject({
      type: 'MESSAGE_TOO_LARGE',
    });
    expect(effects.outputs).not.toContain(refused);
    expect(effects.outputs).toHaveLength(6);
    expect(kafka.producersOf(`${GROUP}-probe-${WORDS}-0`).length).toBeGreaterThan(0);
    expect(await metricValue(metrics.unwritableRecords, { pipeline: 'counts', topic: COUNTS })).toBe(1);
    expect(entries.filter(({ level }) => level === ERROR)).toEqual([
      expect.objectContaining({
        destination: COUNTS,
        reason: 'MESSAGE_TOO_LARGE',
        origin: { topic: WORDS, partition: 0, offset: '1' },
      }),
    ]);

    expect(await committer.commit(effects, chunk, never)).toBe(true);
    const retry = kafka.producersOf(PRODUCER).at(-1)!.transactions[0]!;
    expect(retry.sends.map((request) => request.length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(broker.log(COUNTS).map(({ key }) => key)).toEqual(['apple', 'pear']);
  });
});

describe('what can be written nowhere', () => {
  test('an oversized record is set aside before sending: counted, and logged with its size', async () => {
    const { metrics, entries, committer, chunkOf } = instance();
    const { effects } = chunkOf(0, ['apple']);
    const oversized = { topic: COUNTS, key: 'big', value: 'x'.repeat(RECORD_MAX_BYTES + 1) };
    effects.outputs.push(oversized);

    committer.setAside(effects, oversizedRecords(effects.outputs));
    expect(effects.outputs).not.toContain(oversized);
    expect(effects.outputs).toHaveLength(3);
    expect(await metricValue(metrics.unwritableRecords, { pipeline: 'counts', topic: COUNTS })).toBe(1);
    expect(entries).toEqual([expect.objectContaining({ level: ERROR, bytes: RECORD_MAX_BYTES + 4 })]);
  });

  test('rows Cassandra refuses are counted by table and logged with the offsets of their chunk', async () => {
    const { metrics, entries, committer } = instance();
    const row = (word: string) => ({ table: 'word_counts', values: { word } });
    const chunk = { topic: WORDS, partition: 0, firstOffset: '10', nextOffset: '20' };

    committer.reportRefusedRows(
      [
        { row: row('a'), reason: 'key too large' },
        { row: row('b'), reason: 'key too large' },
      ],
      chunk,
    );
    expect(await metricValue(metrics.unwritableRows, { pipeline: 'counts', table: 'word_counts' })).toBe(2);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      level: ERROR,
      table: 'word_counts',
      reason: 'key too large',
      origin: { topic: WORDS, partition: 0, offsets: '10-19' },
    });
  });
});
