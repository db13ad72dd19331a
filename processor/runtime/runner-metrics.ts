/**
 * What a committed chunk tells the runner's metrics: its records by outcome, the time from each
 * event to its stored rows, the rows written per table, the time the chunk took, and the state
 * held by the partitions owned.
 */
import type { RefusedRow, Row } from '../../common/cassandra.ts';
import type { BatchEffects, Task } from '../dsl/task.ts';
import type { SourceNode } from '../dsl/topology.ts';
import type { ProcessorMetrics } from '../metrics.ts';

export class RunnerMetrics {
  constructor(
    private readonly pipeline: string,
    private readonly metrics: ProcessorMetrics,
    /** The topology's source nodes by their deployed topic. */
    private readonly nodes: ReadonlyMap<string, SourceNode<unknown>>,
    /** A record stored this long after its event time counts as late, although stored. */
    private readonly lateAfterMs: number,
  ) {}

  /** Times one chunk, from before it runs until it is committed and observed. */
  batchTimer(): () => void {
    return this.metrics.batchDuration.startTimer({ pipeline: this.pipeline });
  }

  /** Counts a committed chunk's records, with `storedAt` the time its rows were written. */
  observe(topic: string, effects: BatchEffects, storedAt: number): void {
    const { metrics, pipeline } = this;
    const stateless = !this.nodes.get(topic)!.stateful;
    let storedLate = 0;
    for (const eventTime of effects.storedEventTimes) {
      const ageMs = storedAt - eventTime;
      metrics.eventToStore.observe({ pipeline }, Math.max(0, ageMs / 1000));
      if (ageMs > this.lateAfterMs) storedLate += 1;
    }
    // A stateless node stores each event as a fact of its own, late or not; stored later than a
    // statistic over its hour may have been computed, it counts as late. A windowed node never
    // merges a late event: those are counted where they are set aside.
    const onTime = stateless ? Math.max(0, effects.accepted - storedLate) : effects.accepted;
    metrics.records.inc({ pipeline, topic, outcome: 'accepted' }, onTime);
    metrics.records.inc({ pipeline, topic, outcome: 'late' }, effects.late + effects.accepted - onTime);
    metrics.records.inc({ pipeline, topic, outcome: 'rejected' }, effects.rejected);
    metrics.deadLetters.inc({ pipeline, topic }, effects.rejected);
    for (const observe of effects.afterCommit) observe();
  }

  /** Counts the rows a committed chunk wrote, by table (see `rowsByTable`). */
  countRowsWritten(writtenRows: Map<string, number>): void {
    for (const [table, rows] of writtenRows)
      this.metrics.rowsWritten.inc({ pipeline: this.pipeline, table }, rows);
  }

  updateStateGauge(tasks: Iterable<Task<unknown>>): void {
    let entries = 0;
    for (const task of tasks) entries += task.stateSize;
    this.metrics.stateEntries.set({ pipeline: this.pipeline }, entries);
  }
}

/** Rows per table, those Cassandra refused left out. */
export function rowsByTable(rows: Row[], refused: RefusedRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { table } of rows) counts.set(table, (counts.get(table) ?? 0) + 1);
  for (const { row } of refused) counts.set(row.table, counts.get(row.table)! - 1);
  return counts;
}
