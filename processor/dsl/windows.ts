/**
 * Event-time windows closed by stream time. A window [start, start + size) closes once the
 * task's stream time reaches its end plus the grace; its aggregate is then final and is
 * written once. An event whose window has closed is late: never merged, set aside.
 */
import { bucketStart } from '../../common/time.ts';
import type { KeyValueStore } from './store.ts';

export interface WindowSpec {
  sizeMs: number;
  graceMs: number;
}

/** The ends of the windows that closed in one advance: `first`, `first + size`, ... up to `last`. */
export interface ClosedRange {
  first: number;
  last: number;
}

/**
 * Which windows of one size a task has closed. The mark (the end of the newest closed window)
 * lives in a store, so it is restored with the rest of the state and a replay closes nothing twice.
 */
export class WindowCloser {
  /**
   * The end of the newest closed window; undefined before the task has seen an event. Read from
   * the store once: every event asks for it, and only `close` changes it.
   */
  private mark: number | undefined;

  constructor(
    private readonly marks: KeyValueStore<number>,
    private readonly name: string,
    readonly spec: WindowSpec,
  ) {
    this.mark = marks.get(name);
  }

  get closedUpTo(): number | undefined {
    return this.mark;
  }

  windowStart(eventTime: number): number {
    return bucketStart(eventTime, this.spec.sizeMs);
  }

  /** A reason when the event's window has already closed; undefined when it may still be merged. */
  lateness(eventTime: number): string | undefined {
    const closed = this.closedUpTo;
    const end = this.windowStart(eventTime) + this.spec.sizeMs;
    if (closed === undefined || end > closed) return undefined;
    return (
      `late: event time ${new Date(eventTime).toISOString()} is in a ${this.spec.sizeMs / 1000} s window ` +
      `that closed at ${new Date(end).toISOString()} plus a grace of ${this.spec.graceMs / 1000} s`
    );
  }

  /**
   * Closes every window whose end plus grace stream time has reached. On the first event the
   * mark starts where earlier windows would already have closed: nothing before it was seen.
   */
  close(streamTime: number): ClosedRange | undefined {
    const { sizeMs, graceMs } = this.spec;
    const reached = bucketStart(streamTime - graceMs, sizeMs);
    const closed = this.mark;
    if (closed !== undefined && reached <= closed) return undefined;
    this.mark = reached;
    this.marks.put(this.name, reached);
    return closed === undefined ? undefined : { first: closed + sizeMs, last: reached };
  }
}

/**
 * Event time across the partitions of an upstream topic, for a stage fed through a repartition
 * topic. Records from one upstream partition arrive in that partition's order, but upstream
 * partitions go at their own pace (one may be restarting after a crash while the others run on),
 * so the largest event time seen would close windows that a slower partition still has records
 * for. Windows close by the watermark instead: the smallest of the upstream partitions' largest
 * event times, once every one of them has been heard from, as Flink merges its inputs' watermarks.
 * The marks live in a store, so a restored task resumes with the watermark it had.
 */
export class UpstreamWatermark {
  constructor(private readonly marks: KeyValueStore<number>) {}

  /** Notes a record of an upstream partition; the watermark after it (-Infinity until every partition has been heard from). */
  observe(partition: number, partitions: number, eventTime: number): number {
    const key = `upstream-${partition}`;
    const before = this.marks.get(key);
    if (before === undefined || eventTime > before) this.marks.put(key, eventTime);
    let watermark = Number.POSITIVE_INFINITY;
    for (let upstream = 0; upstream < partitions; upstream += 1) {
      watermark = Math.min(watermark, this.marks.get(`upstream-${upstream}`) ?? Number.NEGATIVE_INFINITY);
    }
    return watermark;
  }
}

/**
 * The second stage of a two-stage top-N (the shape of Kafka Streams' examples): every upstream
 * partition sends its candidates for each step, in step order, and a step is complete once every
 * upstream partition has reported it or a later one. The candidates waiting and each partition's
 * newest step live in stores, so a restored task resumes where it stood.
 */
export class StepGather<T> {
  constructor(
    private readonly pending: KeyValueStore<Record<string, T>>,
    private readonly reported: KeyValueStore<number>,
  ) {}

  /**
   * Takes one upstream partition's candidates for a step. Returns the steps now complete, oldest
   * first, each with its partitions' candidates in partition order; they are forgotten here.
   */
  add(
    step: number,
    partition: number,
    partitions: number,
    candidates: T,
  ): { step: number; candidates: T[] }[] {
    const source = String(partition);
    this.reported.put(source, Math.max(step, this.reported.get(source) ?? step));
    this.pending.put(String(step), { ...this.pending.get(String(step)), [source]: candidates });
    let everyPartitionUpTo = Number.POSITIVE_INFINITY;
    for (let upstream = 0; upstream < partitions; upstream += 1) {
      everyPartitionUpTo = Math.min(
        everyPartitionUpTo,
        this.reported.get(String(upstream)) ?? Number.NEGATIVE_INFINITY,
      );
    }
    const complete = [...this.pending.entries()]
      .map(([pendingStep, byPartition]) => ({
        step: Number(pendingStep),
        candidates: Object.values(byPartition),
      }))
      .filter((entry) => entry.step <= everyPartitionUpTo)
      .sort((a, b) => a.step - b.step);
    for (const entry of complete) this.pending.delete(String(entry.step));
    return complete;
  }
}
