/**
 * Query-string checks every stream's routes share, as pure functions answering with the
 * project's Result: the reason names the parameter and what it must be, for a 400.
 */
import { fail, ok, type Result } from '../common/result.ts';
import { HOUR_MS } from '../common/time.ts';
import type { TimeRange } from './stream.ts';

const EPOCH_MS = /^\d{1,15}$/;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Echoed back in a reason, but never at any length. */
export const excerpt = (text: string): string => (text.length > 64 ? `${text.slice(0, 64)}…` : text);

/** Grafana's ${__from}/${__to} are epoch milliseconds; people type ISO-8601. Both are taken. */
export function parseTime(text: string): Result<Date> {
  const iso = ISO_TIME.exec(text);
  const time = EPOCH_MS.test(text) ? new Date(Number(text)) : iso !== null ? new Date(text) : undefined;
  // Date reads 2026-02-31 as March 3: the calendar date must be one.
  const realDay =
    iso === null ||
    new Date(Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]))).getUTCDate() === Number(iso[3]);
  if (time === undefined || Number.isNaN(time.getTime()) || !realDay) {
    return fail(
      `expected epoch milliseconds or an ISO-8601 time with a timezone like 2026-01-01T00:00:00Z, got '${excerpt(text)}'`,
    );
  }
  return ok(time);
}

/**
 * The query string as one text per parameter. A parameter the route does not take, or one
 * given twice, is refused by name rather than ignored: a typo must not pass for the default.
 */
export function queryTexts<K extends string>(
  query: Record<string, unknown>,
  known: readonly K[],
): Result<Partial<Record<K, string>>> {
  const texts: Partial<Record<K, string>> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(known as readonly string[]).includes(name)) {
      const takes = known.length > 0 ? `takes only ${known.join(', ')}` : 'takes no parameters';
      return fail(`${excerpt(name)}: unknown parameter; this route ${takes}`);
    }
    if (typeof value !== 'string') return fail(`${name}: given more than once; give it once`);
    texts[name as K] = value;
  }
  return ok(texts);
}

/** An optional time parameter, its reason prefixed with its name. */
export function timeParam(name: string, text: string | undefined): Result<Date | undefined> {
  if (text === undefined) return ok(undefined);
  const time = parseTime(text);
  return time.ok ? time : fail(`${name}: ${time.reason}`);
}

/** from/to: `to` defaults to now and `from` to `defaultMs` before `to`; from < to, at most `maxMs` apart. */
export function timeRange(
  texts: { from?: string; to?: string },
  bounds: { defaultMs: number; maxMs: number },
  now: Date,
): Result<TimeRange> {
  const from = timeParam('from', texts.from);
  if (!from.ok) return from;
  const to = timeParam('to', texts.to);
  if (!to.ok) return to;
  const end = to.value ?? now;
  const start = from.value ?? new Date(end.getTime() - bounds.defaultMs);
  if (start >= end) return fail('from/to: from must be earlier than to');
  if (end.getTime() - start.getTime() > bounds.maxMs) {
    return fail(`from/to: the range may span at most ${bounds.maxMs / HOUR_MS} hours`);
  }
  return ok({ from: start, to: end });
}
