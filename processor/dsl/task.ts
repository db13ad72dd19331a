/**
 * One task: a source partition of a topology, its state and its processor. `runBatch` is the
 * whole of what happens to a micro-batch, pure and synchronous: decode, process, advance stream
 * time, and collect every effect. The runtime then writes the rows, and commits the records,
 * the changelog and the offset in one transaction; the test driver just reads the effects.
 */
import type { Row } from '../../common/cassandra.ts';
import { deadLetter, type OutputRecord, type SourceRecord } from '../../common/records.ts';
import { TaskState, type KeyValueStore } from './store.ts';
import type { Emitter, PartitionProcessor, SourceNode, TaskContext } from './topology.ts';

export interface BatchEffects {
  rows: Row[];
  /** Output records, dead letters, late records and changelog records, with final topic names. */
  outputs: OutputRecord[];
  accepted: number;
  rejected: number;
  late: number;
  /** Event times (ms) of events that the rows just written reflect. */
  storedEventTimes: number[];
  afterCommit: (() => void)[];
}

/** A batch that produced nothing: the start of every batch's effects, and an offsets-only commit. */
export function noEffects(): BatchEffects {
  return { rows: [], outputs: [], accepted: 0, rejected: 0, late: 0, storedEventTimes: [], afterCommit: [] };
}

/** Topic names as deployed: the topology names them, the deployment may prefix them. */
export interface TaskTopics {
  name(topic: string): string;
  deadLetters: string;
  late: string;
  /** Absent for a stateless node: nothing to restore, nothing to log. */
  changelog?: string;
}

const STREAM_TIME_STORE = 'task';
const STREAM_TIME_KEY = 'stream-time';

export class Task<Event> implements TaskContext {
  readonly topic: string;
  private readonly processor: PartitionProcessor<Event>;
  private readonly streamTimes: KeyValueStore<number>;
  /** The store's stream time, read once: every record compares against it. */
  private latestEventTime: number;

  constructor(
    private readonly node: SourceNode<Event>,
    readonly partition: number,
    readonly partitionCount: number,
    private readonly topics: TaskTopics,
    /** Restored state, or a fresh one. */
    private readonly state: TaskState = new TaskState(),
  ) {
    this.topic = topics.name(node.topic);
    this.streamTimes = state.store<number>(STREAM_TIME_STORE);
    this.latestEventTime = this.streamTimes.get(STREAM_TIME_KEY) ?? Number.NEGATIVE_INFINITY;
    this.processor = node.processor(this);
  }

  get streamTime(): number {
    return this.latestEventTime;
  }

  store<V>(name: string): KeyValueStore<V> {
    return this.state.store<V>(name);
  }

  /** Entries held across the processor's stores (the task's own stream time aside). */
  get stateSize(): number {
    return this.state.sizeWithout(STREAM_TIME_STORE);
  }

  runBatch(records: SourceRecord[]): BatchEffects {
    const effects = noEffects();
    let origin: SourceRecord | undefined;
    const out: Emitter = {
      row: (row) => effects.rows.push(row),
      record: (topic, key, value) =>
        effects.outputs.push({ topic: this.topics.name(topic), key, value, ...(origin && { origin }) }),
      stored: (eventTimeMs) => effects.storedEventTimes.push(eventTimeMs),
      afterCommit: (observe) => effects.afterCommit.push(observe),
    };
    for (const record of records) {
      origin = record;
      const decoded = this.node.decode(record);
      if (!decoded.ok) {
        effects.rejected += 1;
        effects.outputs.push(deadLetter(this.topics.deadLetters, { record, reason: decoded.reason }));
        continue;
      }
      const eventTime = this.node.eventTime(decoded.value);
      let outcome;
      try {
        outcome = this.processor.process(decoded.value, eventTime, out);
      } catch (error) {
        // A step that throws on one record must not stop the partition: the record is kept
        // with the reason, like any record the stream cannot take.
        effects.rejected += 1;
        const reason = `processing failed: ${(error as Error).message}`;
        effects.outputs.push(deadLetter(this.topics.deadLetters, { record, reason }));
        continue;
      }
      if (!outcome.accepted && 'invalid' in outcome) {
        effects.rejected += 1;
        effects.outputs.push(deadLetter(this.topics.deadLetters, { record, reason: outcome.invalid }));
        continue;
      }
      if (!outcome.accepted) {
        effects.late += 1;
        effects.outputs.push(deadLetter(this.topics.late, { record, reason: outcome.late }));
        continue;
      }
      effects.accepted += 1;
      if (eventTime > this.latestEventTime) {
        this.latestEventTime = eventTime;
        this.streamTimes.put(STREAM_TIME_KEY, eventTime);
        this.processor.advance?.(out);
      }
    }
    this.processor.endBatch?.(out);
    const { changelog } = this.topics;
    if (changelog !== undefined) {
      for (const { key, value } of this.state.takeChanges()) {
        effects.outputs.push({ topic: changelog, partition: this.partition, key, value });
      }
    }
    return effects;
  }
}
