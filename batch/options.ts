import { UsageError } from '../common/cli.ts';
import { DAY_MS } from '../common/time.ts';
import type { TimeRange } from './stream.ts';

/** Recomputing more than this at once is almost surely a mistake, and a long read of Cassandra. */
export const MAX_RANGE_DAYS = 31;

export interface RawRangeOptions {
  from?: string;
  to?: string;
}

function parseTime(option: string, text: string): Date {
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(text.trim()) || Number.isNaN(time.getTime())) {
    throw new UsageError(
      `${option} must be an ISO-8601 time with a timezone like 2026-01-01T00:00:00Z, got '${text}'`,
    );
  }
  return time;
}

/** The range to recompute, or undefined for the rolling windows of a scheduled run. */
export function parseRange(raw: RawRangeOptions, now = new Date()): TimeRange | undefined {
  if (raw.from === undefined) {
    if (raw.to !== undefined) throw new UsageError('--to needs --from');
    return undefined;
  }
  const from = parseTime('--from', raw.from);
  const to = raw.to === undefined ? now : parseTime('--to', raw.to);
  if (to <= from) throw new UsageError('--to must be later than --from');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw new UsageError(
      `--from/--to may span at most ${MAX_RANGE_DAYS} days; recompute a longer span in parts`,
    );
  }
  return { from, to };
}
