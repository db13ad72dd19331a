import { expect, test } from 'vitest';
import { noEffects, Task } from '../../processor/dsl/task.ts';
import type { Topology } from '../../processor/dsl/topology.ts';
import { createProcessorMetrics } from '../../processor/metrics.ts';
import { rowsByTable, RunnerMetrics } from '../../processor/runtime/runner-metrics.ts';
import { sourceNodes, sourceTopics } from '../../processor/runtime/topics.ts';
import { metricValue } from './runtime-fakes.ts';
import { GRACE_MS, NAMING, sightingRecords, sightings, wordCounts } from './runtime-topologies.ts';

const LATE_AFTER_MS = 60_000;
const WORDS = 'test.words';
const NOW = Date.UTC(2026, 0, 5, 12);
const MINUTE = 60_000;

function observing(topology: Topology) {
  const metrics = createProcessorMetrics();
  const runnerMetrics = new RunnerMetrics(
    topology.name,
    metrics,
    sourceNodes(topology, NAMING),
    LATE_AFTER_MS,
  );
  const node = topology.sources[0]!;
  const newTask = (partition = 0) => new Task(node, partition, 2, sourceTopics(topology, node, NAMING));
  return { metrics, runnerMetrics, newTask };
}

const records = (metrics: ReturnType<typeof createProcessorMetrics>, pipeline: string, outcome: string) =>
  metricValue(metrics.records, { pipeline, topic: WORDS, outcome });

test('a stateless node: an event stored later than lateAfterMs counts as late, though stored', async () => {
  const { metrics, runnerMetrics, newTask } = observing(sightings);
  const task = newTask();
  const effects = task.runBatch([
    ...sightingRecords(WORDS, 0, 0, ['apple', 'pear'], NOW - 10 * MINUTE),
    ...sightingRecords(WORDS, 0, 2, ['plum'], NOW - 100),
  ]);

  runnerMetrics.observe(WORDS, effects, NOW);
  expect(await records(metrics, 'sightings', 'accepted')).toBe(1);
  expect(await records(metrics, 'sightings', 'late')).toBe(2);
  expect(await records(metrics, 'sightings', 'rejected')).toBe(0);
  expect(await metricValue(metrics.eventToStore, { pipeline: 'sightings' }, 'count')).toBe(3);
  expect(await metricValue(metrics.eventToStore, { pipeline: 'sightings' }, 'sum')).toBeCloseTo(1200.1);
});

test('a stateful node: late are the events it set aside; rejected ones are dead letters', async () => {
  const { metrics, runnerMetrics, newTask } = observing(wordCounts);
  const effects = newTask().runBatch([
    ...sightingRecords(WORDS, 0, 0, ['apple'], NOW - 10 * MINUTE),
    ...sightingRecords(WORDS, 0, 1, ['pear'], NOW),
    ...sightingRecords(WORDS, 0, 2, ['plum'], NOW - 2 * GRACE_MS),
    { topic: WORDS, partition: 0, offset: '3', key: 'fig', value: Buffer.from('not a time') },
  ]);

  runnerMetrics.observe(WORDS, effects, NOW);
  // Stored ten minutes after the event, apple still counts as on time: its window took it.
  expect(await records(metrics, 'counts', 'accepted')).toBe(2);
  expect(await records(metrics, 'counts', 'late')).toBe(1);
  expect(await records(metrics, 'counts', 'rejected')).toBe(1);
  expect(await metricValue(metrics.deadLetters, { pipeline: 'counts', topic: WORDS })).toBe(1);
  expect(await metricValue(metrics.eventToStore, { pipeline: 'counts' }, 'count')).toBe(2);
});

test("a committed chunk's afterCommit hooks run when it is observed, once", () => {
  const { runnerMetrics } = observing(wordCounts);
  const effects = noEffects();
  let runs = 0;
  effects.afterCommit.push(() => (runs += 1));
  runnerMetrics.observe(WORDS, effects, NOW);
  expect(runs).toBe(1);
});

test('the state gauge holds the entries of every task given, their stream times aside', async () => {
  const { metrics, runnerMetrics, newTask } = observing(wordCounts);
  const first = newTask(0);
  first.runBatch(sightingRecords(WORDS, 0, 0, ['apple', 'pear', 'apple']));
  const second = newTask(1);
  second.runBatch(sightingRecords(WORDS, 1, 0, ['plum']));

  runnerMetrics.updateStateGauge([first, second]);
  expect(await metricValue(metrics.stateEntries, { pipeline: 'counts' })).toBe(3);
  runnerMetrics.updateStateGauge([second]);
  expect(await metricValue(metrics.stateEntries, { pipeline: 'counts' })).toBe(1);
});

test('rows written are counted by table, those Cassandra refused left out', async () => {
  const { metrics, runnerMetrics } = observing(wordCounts);
  const row = (table: string) => ({ table, values: {} });
  const rows = [row('word_counts'), row('word_counts'), row('word_counts'), row('totals')];

  const written = rowsByTable(rows, [{ row: rows[1]!, reason: 'too large' }]);
  expect(written).toEqual(
    new Map([
      ['word_counts', 2],
      ['totals', 1],
    ]),
  );
  runnerMetrics.countRowsWritten(written);
  expect(await metricValue(metrics.rowsWritten, { pipeline: 'counts', table: 'word_counts' })).toBe(2);
  expect(await metricValue(metrics.rowsWritten, { pipeline: 'counts', table: 'totals' })).toBe(1);
});

test('a batch timer observes one duration when stopped', async () => {
  const { metrics, runnerMetrics } = observing(wordCounts);
  const stopTimer = runnerMetrics.batchTimer();
  expect(await metricValue(metrics.batchDuration, { pipeline: 'counts' }, 'count')).toBeUndefined();
  stopTimer();
  expect(await metricValue(metrics.batchDuration, { pipeline: 'counts' }, 'count')).toBe(1);
});
