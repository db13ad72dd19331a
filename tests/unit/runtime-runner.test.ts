import { afterEach, describe, expect, test, vi } from 'vitest';
import { createProcessorMetrics } from '../../processor/metrics.ts';
import { PartitionProducers } from '../../processor/runtime/producers.ts';
import { TopologyRunner, type RuntimeSettings } from '../../processor/runtime/run-topology.ts';
import { capturedLog, FakeBroker, FakeKafka, FakeStore, metricValue } from './runtime-fakes.ts';
import { NAMING, sightingRecords, wordCounts } from './runtime-topologies.ts';

const GROUP = 'processor-counts';
const WORDS = 'test.words';
const SETTINGS: RuntimeSettings = {
  ...NAMING,
  batchMaxRecords: 2,
  batchMaxWaitMs: 100,
  fetchMaxBytesPerPartition: 1024 * 1024,
  partitionsConcurrently: 1,
  sessionTimeoutMs: 10_000,
  lateAfterMs: 60_000,
};

const started: TopologyRunner[] = [];
afterEach(async () => {
  for (const runner of started.splice(0)) await runner.stop();
});

/** One processor instance running the `counts` topology, started as processor/main.ts starts it. */
async function running(broker = new FakeBroker()) {
  const kafka = new FakeKafka(broker);
  const store = new FakeStore();
  const metrics = createProcessorMetrics();
  const { log } = capturedLog();
  const runner = new TopologyRunner(wordCounts, {
    kafka,
    admin: kafka.admin(),
    store,
    metrics,
    log,
    settings: SETTINGS,
    stop: new AbortController().signal,
  });
  await runner.prepareTopics();
  await runner.connect();
  await runner.run();
  started.push(runner);
  const committed = (partition = 0) => broker.committed.get(`${GROUP}/${WORDS}`)?.get(partition);
  return { broker, kafka, store, metrics, runner, consumer: kafka.consumer, committed };
}

const words = (firstOffset: number, sighted: string[], partition = 0) =>
  sightingRecords(WORDS, partition, firstOffset, sighted);

describe('a fetched batch', () => {
  test('goes in chunks: each chunk written to Cassandra, then committed, then resolved', async () => {
    const { store, metrics, consumer, committed } = await running();
    expect(consumer.subscribed).toEqual([WORDS]);
    const committedAtUpsert: (string | undefined)[] = [];
    const upsert = store.upsert.bind(store);
    store.upsert = (rows) => {
      committedAtUpsert.push(committed());
      return upsert(rows);
    };

    expect(await consumer.deliver(words(0, ['apple', 'pear', 'apple']))).toEqual(['1', '2']);
    expect(store.written.map((rows) => rows.length)).toEqual([2, 1]);
    expect(committedAtUpsert).toEqual([undefined, '2']);
    expect(committed()).toBe('3');
    const pipeline = 'counts';
    expect(await metricValue(metrics.records, { pipeline, topic: WORDS, outcome: 'accepted' })).toBe(3);
    expect(await metricValue(metrics.rowsWritten, { pipeline, table: 'word_counts' })).toBe(3);
    expect(await metricValue(metrics.stateEntries, { pipeline })).toBe(2);
    expect(await metricValue(metrics.batchDuration, { pipeline }, 'count')).toBe(2);
  });

  test('waits out a Cassandra outage: the chunk commits only once its rows are written', async () => {
    const { store, metrics, consumer, committed } = await running();
    store.failures.push(new Error('Cassandra is down'));

    expect(await consumer.deliver(words(0, ['apple']))).toEqual(['0']);
    expect(store.written).toHaveLength(1);
    expect(committed()).toBe('1');
    expect(await metricValue(metrics.writeErrors, { pipeline: 'counts', sink: 'cassandra' })).toBe(1);
    expect(await metricValue(metrics.paused, { pipeline: 'counts' })).toBe(0);
  });

  test('that does not continue from the state seeks back to it, with nothing written', async () => {
    const { broker, store, consumer, committed } = await running();
    broker.commitOffset(GROUP, WORDS, 0, '5');

    expect(await consumer.deliver(words(8, ['apple']))).toEqual([]);
    expect(consumer.seeks).toEqual([{ topic: WORDS, partition: 0, offset: '5' }]);
    expect(store.written).toEqual([]);
    // Fetched from 5, the first record at 7: what lies between is hidden from the consumer.
    expect(await consumer.deliver(words(7, ['apple']), '5')).toEqual(['7']);
    expect(committed()).toBe('8');
  });

  test('whose commit is fenced stays unresolved; read again, it is claimed and committed afresh', async () => {
    const { broker, kafka, store, metrics, consumer, committed } = await running();
    await consumer.deliver(words(0, ['apple']));
    // Another instance claims the partition, and gives it back without committing.
    await new PartitionProducers(new FakeKafka(broker), kafka.admin(), GROUP, GROUP).claim(WORDS, 0);

    expect(await consumer.deliver(words(1, ['apple']))).toEqual([]);
    expect(await metricValue(metrics.fencedCommits, { pipeline: 'counts', topic: WORDS })).toBe(1);
    expect(committed()).toBe('1');

    expect(await consumer.deliver(words(1, ['apple']))).toEqual(['1']);
    expect(committed()).toBe('2');
    // The state restored holds only what committed: the fenced chunk's count is not in it.
    expect(store.written.at(-1)!.map(({ values }) => values)).toEqual([{ word: 'apple', count: 2 }]);
  });
});

describe('the group', () => {
  test('a fetch of markers alone moves the task past them and commits there', async () => {
    const { consumer, committed } = await running();
    await consumer.deliver(words(0, ['apple', 'pear']));

    consumer.fetchEnd({ topic: WORDS, partition: 0, lastOffset: '3', records: 0 });
    await vi.waitFor(() => expect(committed()).toBe('4'));
    // A fetch that delivered records is the batch's to commit.
    consumer.fetchEnd({ topic: WORDS, partition: 0, lastOffset: '9', records: 2 });
    expect(await consumer.deliver(words(4, ['plum']))).toEqual(['4']);
    expect(committed()).toBe('5');
  });

  test('taking a partition away forgets its task, releases its producer and updates the state gauge', async () => {
    const { kafka, metrics, consumer } = await running();
    await consumer.deliver(words(0, ['apple', 'pear']));
    await consumer.deliver(words(0, ['plum'], 1));
    expect(await metricValue(metrics.stateEntries, { pipeline: 'counts' })).toBe(3);

    consumer.assign({ [WORDS]: [1] });
    await vi.waitFor(async () =>
      expect(await metricValue(metrics.stateEntries, { pipeline: 'counts' })).toBe(1),
    );
    expect(kafka.producersOf(`${GROUP}-${WORDS}-0`).every(({ disconnected }) => disconnected)).toBe(true);
    expect(kafka.producersOf(`${GROUP}-${WORDS}-1`).some(({ disconnected }) => !disconnected)).toBe(true);
  });
});
