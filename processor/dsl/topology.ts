/**
 * What a stream is to the processor: a topology of pure steps, in the spirit of Kafka Streams'
 * Processor API. Each source topic's partition is a task with its own keyed state; a record is
 * decoded, keyed into that state and may emit rows (Cassandra upserts) and records (topics).
 * Stream time (the largest event time a task has seen) closes windows. The runtime in
 * processor/runtime runs any topology over Kafka and Cassandra and knows none of them; the test
 * driver in ./driver.ts runs one without either.
 */
import type { Row } from '../../common/cassandra.ts';
import type { Result } from '../../common/result.ts';
import type { SourceRecord } from '../../common/records.ts';
import type { KeyValueStore } from './store.ts';

/** Where a processor's effects go; all of them commit together with the record's offset. */
export interface Emitter {
  /** An idempotent upsert into the topology's keyspace. */
  row(row: Row): void;
  /** A record for an output topic (named as declared in the topology, before any prefix). */
  record(topic: string, key: string | null, value: string): void;
  /** An event (by its event time, ms) is now reflected in stored rows: end-to-end latency. */
  stored(eventTimeMs: number): void;
  /** Runs once the effects are durably committed: metrics that must not count a redone batch twice. */
  afterCommit(observe: () => void): void;
}

/**
 * What happened to a decoded event: merged into the state; too late for its window; or refused
 * for a reason that depends on the state (a logout without a login): a dead letter, decided
 * again the same way on a replay, since the state is restored from the changelog.
 */
export type Outcome =
  { accepted: true } | { accepted: false; late: string } | { accepted: false; invalid: string };
export const ACCEPTED: Outcome = { accepted: true };

/** One task's view of its world: its partition, its stream time, its state. */
export interface TaskContext {
  readonly topic: string;
  readonly partition: number;
  /** Partitions of the task's source topic: a merge stage waits for all of them. */
  readonly partitionCount: number;
  /** The largest event time this task has processed (ms), or -Infinity before the first. */
  readonly streamTime: number;
  /** A named key-value store, kept across crashes through the topology's changelog. */
  store<V>(name: string): KeyValueStore<V>;
}

/** A task's processing: built after the task's state is restored, so it may index that state. */
export interface PartitionProcessor<Event> {
  /** `eventTime` is the node's `eventTime(event)`, computed once per record by the task. */
  process(event: Event, eventTime: number, out: Emitter): Outcome;
  /** Called after a record moved stream time forward: closes windows, emits what they held. */
  advance?(out: Emitter): void;
  /**
   * Called once at the end of every micro-batch, after its last record: a processor that keeps
   * figures updated as events arrive writes each changed key's row here, once per batch, rather
   * than once per event. State is committed with the batch, so a redone batch writes the same.
   */
  endBatch?(out: Emitter): void;
}

export interface SourceNode<Event> {
  /** The topic, before the deployment's topic prefix. */
  topic: string;
  /** Partitions to create the topic with when it does not exist. */
  partitions: number;
  /** Compacted: a topic of latest values per key (a catalogue), not of events. */
  compacted?: boolean;
  /** Keeps state in stores (logged to a changelog, restored on claim) and may set events aside as late. */
  stateful: boolean;
  /**
   * The topic is read by other topologies too, each in its own consumer group: the dead-letter
   * and late topics then carry the pipeline's name, so that each pipeline keeps its own and a bad
   * record is not set aside twice into one topic.
   */
  shared?: boolean;
  decode(record: SourceRecord): Result<Event>;
  eventTime(event: Event): number;
  processor(task: TaskContext): PartitionProcessor<Event>;
}

export interface Topology {
  /** The pipeline's name: consumer group suffix, metric label, `--pipelines` entry. */
  name: string;
  /** The Cassandra schema the topology writes: a CQL file naming `keyspace` literally. */
  schema: { file: string; keyspace: string };
  // Sources are heterogeneous: each node's Event type is checked where the node is built.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  sources: SourceNode<any>[];
  /** Topics the topology writes to (before the prefix), created at start when missing. */
  outputs: { topic: string; partitions: number }[];
}

/**
 * Where a source's rejected and late records go, before the deployment's prefix:
 * `<source>.dlq` and `<source>.late`, or `<source>.<pipeline>.dlq` and `.late` for a shared source.
 */
export function sideTopics(
  pipeline: string,
  node: Pick<SourceNode<unknown>, 'topic' | 'shared'>,
): { deadLetters: string; late: string } {
  const base = node.shared === true ? `${node.topic}.${pipeline}` : node.topic;
  return { deadLetters: `${base}.dlq`, late: `${base}.late` };
}

/** A node with its Event type checked, stored alongside others of other types. */
export function source<Event>(node: SourceNode<Event>): SourceNode<Event> {
  return node;
}

/**
 * The row maker for one keyspace's typed tables: `row('table', values)` checks the values
 * against that table's row interface, which the writer and the readers share.
 */
export function tableRows<Tables>() {
  return <Table extends keyof Tables & string>(table: Table, values: Tables[Table]): Row => ({
    table,
    values: values as Record<string, unknown>,
  });
}
