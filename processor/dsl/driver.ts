/**
 * Runs a topology without Kafka or Cassandra, the role Kafka Streams' TopologyTestDriver plays:
 * records are piped into source partitions, each pipe is one micro-batch, and what the
 * topology emits is kept for the test to read. Records emitted to a topic that is also one of
 * the topology's sources (a repartition or merge stage) are piped on, as Kafka would deliver
 * them once committed: a keyed one to the partition Kafka's default partitioner gives its key. `restart()` throws the tasks away and restores them from the changelog,
 * as a crash followed by a claim does. Given the stream's typed tables
 * (`new TopologyTestDriver<TrafficTables>(topology)`), `rowsOf(table)` reads one table's rows typed.
 */
import type { Row } from '../../common/cassandra.ts';
import { keyPartition } from '../../common/kafka.ts';
import type { OutputRecord, SourceRecord } from '../../common/records.ts';
import { TaskState } from './store.ts';
import { Task, type TaskTopics } from './task.ts';
import { sideTopics, type SourceNode, type Topology } from './topology.ts';

export interface PipedRecord {
  key: string | null;
  value: string | Buffer | null;
  /** The source partition; by default partition 0. */
  partition?: number;
}

/** A row written to `Table`, its values typed by that table's row interface. */
type RowOf<Tables, Table extends keyof Tables> = Row & { table: Table; values: Tables[Table] };

/** Whether to crash and restore after micro-batch `batch` (counted from 0) of `pipeInBatches`. */
type RestartAfter = (batch: number) => boolean;

const CHANGELOG = 'changelog';

/**
 * `Tables` maps each table the topology writes to its row type, the map its topology builds rows
 * with (`tableRows<Tables>()`); by default, any table with untyped values.
 */
export class TopologyTestDriver<Tables = Record<string, Row['values']>> {
  /** Every row written, of every table, in the order written. */
  readonly rows: Row[] = [];
  private readonly outputs: OutputRecord[] = [];
  private readonly offsets = new Map<string, number>();
  private readonly changelogs = new Map<string, { key: string; value: string | null }[]>();
  private tasks = new Map<string, Task<unknown>>();
  private readonly afterCommit: (() => void)[] = [];

  constructor(
    private readonly topology: Topology,
    /** Partitions per source topic, where the node's own count is not wanted. */
    private readonly partitionCounts: Record<string, number> = {},
  ) {}

  private node(topic: string): SourceNode<unknown> {
    const node = this.topology.sources.find((source) => source.topic === topic);
    if (node === undefined) throw new Error(`${topic} is not a source of ${this.topology.name}`);
    return node;
  }

  private task(topic: string, partition: number): Task<unknown> {
    const key = `${topic}/${partition}`;
    let task = this.tasks.get(key);
    if (task === undefined) {
      const node = this.node(topic);
      const topics: TaskTopics = {
        name: (name) => name,
        ...sideTopics(this.topology.name, node),
        ...(node.stateful && { changelog: CHANGELOG }),
      };
      const state = new TaskState();
      for (const entry of this.changelogs.get(key) ?? []) state.restore(entry);
      task = new Task(node, partition, this.partitionCounts[topic] ?? node.partitions, topics, state);
      this.tasks.set(key, task);
    }
    return task;
  }

  /** One micro-batch into one partition of a source topic, and whatever it sets off downstream. */
  pipe(topic: string, records: PipedRecord[]): void {
    const byPartition = new Map<number, SourceRecord[]>();
    for (const { key, value, partition = 0 } of records) {
      const offsetKey = `${topic}/${partition}`;
      const offset = this.offsets.get(offsetKey) ?? 0;
      this.offsets.set(offsetKey, offset + 1);
      const batch = byPartition.get(partition) ?? [];
      batch.push({
        topic,
        partition,
        offset: String(offset),
        key,
        value: typeof value === 'string' ? Buffer.from(value) : value,
      });
      byPartition.set(partition, batch);
    }
    for (const [partition, batch] of byPartition) {
      const effects = this.task(topic, partition).runBatch(batch);
      this.rows.push(...effects.rows);
      this.afterCommit.push(...effects.afterCommit);
      const downstream: OutputRecord[] = [];
      for (const output of effects.outputs) {
        if (output.topic === CHANGELOG) {
          const key = `${topic}/${partition}`;
          this.changelogs.set(key, [
            ...(this.changelogs.get(key) ?? []),
            { key: output.key!, value: output.value },
          ]);
          continue;
        }
        this.outputs.push(output);
        if (this.topology.sources.some((source) => source.topic === output.topic)) downstream.push(output);
      }
      for (const output of downstream) {
        this.pipe(output.topic, [
          { key: output.key, value: output.value, partition: this.partitionOf(output) },
        ]);
      }
    }
  }

  /**
   * A long run of records as consecutive micro-batches of at most `batchSize`, each piped as
   * `pipe` pipes it, every record into its own partition; with `restartAfter`, a crash and
   * restore (`restart()`) after each batch it chooses.
   */
  pipeInBatches(
    topic: string,
    records: readonly PipedRecord[],
    batchSize: number,
    { restartAfter }: { restartAfter?: RestartAfter } = {},
  ): void {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batchSize must be a positive integer, not ${batchSize}`);
    for (let first = 0, batch = 0; first < records.length; first += batchSize, batch += 1) {
      this.pipe(topic, records.slice(first, first + batchSize));
      if (restartAfter?.(batch) === true) this.restart();
    }
  }

  /** The values of every row written to `table`, in the order written: upserts, not merged. */
  rowsOf<Table extends keyof Tables & string>(table: Table): Tables[Table][] {
    return this.rows
      .filter(
        // The emitter takes untyped rows, so the type system cannot follow a row from the
        // topology's `tableRows<Tables>()`, which checked its values against `Tables[Table]`, to
        // here: the table's name is what tells this row's type.
        (row): row is RowOf<Tables, Table> => row.table === table,
      )
      .map((row) => row.values);
  }

  /** The partition of a record piped on: its own, its key's as Kafka's producer would choose, or 0. */
  private partitionOf(output: OutputRecord): number {
    if (output.partition !== undefined) return output.partition;
    if (output.key === null) return 0;
    const count = this.partitionCounts[output.topic] ?? this.node(output.topic).partitions;
    return keyPartition(output.key, count);
  }

  /** Records emitted to a topic (dead letters and late records: see `sideTopics`). */
  output(topic: string): OutputRecord[] {
    return this.outputs.filter((output) => output.topic === topic);
  }

  /** Runs the metrics hooks of everything emitted so far, as the runtime does after a commit. */
  commit(): void {
    for (const observe of this.afterCommit.splice(0)) observe();
  }

  /** A crash and a restart: tasks rebuilt from their changelogs alone. */
  restart(): void {
    this.tasks = new Map();
  }

  /** State entries held by one task, for checking that closed windows are evicted. */
  stateSize(topic: string, partition = 0): number {
    return this.task(topic, partition).stateSize;
  }
}
