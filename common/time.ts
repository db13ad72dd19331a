/** The one time-bucket helper: every stream, job and query buckets time through it. */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** The start of the bucket of `size` ms that holds `ms` (epoch-aligned, UTC). */
export function bucketStart(ms: number, size: number): number {
  return Math.floor(ms / size) * size;
}

/** `bucketStart` for a Date, as a Date: the form Cassandra timestamp columns take. */
export function bucketOf(time: Date, size: number): Date {
  return new Date(bucketStart(time.getTime(), size));
}

/** Every bucket start of `size` ms from the one holding `from` up to, not including, `to`. */
export function bucketsBetween(from: number, to: number, size: number): number[] {
  const starts: number[] = [];
  for (let start = bucketStart(from, size); start < to; start += size) starts.push(start);
  return starts;
}
