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
  constructor(
    private readonly marks: KeyValueStore<number>,
    private readonly name: string,
    readonly spec: WindowSpec,
  ) {}

  /** The end of the newest closed window; undefined before the task has seen an event. */
  get closedUpTo(): number | undefined {
    return this.marks.get(this.name);
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
    const closed = this.closedUpTo;
    if (closed === undefined) {
      this.marks.put(this.name, reached);
      return undefined;
    }
    if (reached <= closed) return undefined;
    this.marks.put(this.name, reached);
    return { first: closed + sizeMs, last: reached };
  }
}
