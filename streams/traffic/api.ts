/**
 * The traffic routes' parameters and answers as pure functions: every bound, the look-back and
 * the trailing average are tested without Cassandra.
 */
import { fail, ok, type Result } from '../../common/result.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, bucketOf, bucketStart, bucketsBetween } from '../../common/time.ts';
import { SURGE, type Business, type TrafficTables } from './schema.ts';
import { excerpt, queryTexts, timeParam, timeRange } from '../../batch/params.ts';

export const TRAFFIC_LIMITS = {
  /** The views of a business: the last hour unless asked, at most a day. */
  defaultViewsRangeMs: HOUR_MS,
  maxViewsRangeMs: DAY_MS,
  /** Hour partitions read before the one of `at` when that one holds no step at or before it. */
  surgeLookbackHours: 24,
} as const;

/** The query parameters each route takes; any other is refused (GET /api lists them too). */
export const SURGES_QUERY = ['at'] as const;
export const VIEWS_QUERY = ['from', 'to'] as const;

export const BUSINESS_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** views_60s(b, t) counts [t − 60 s, t); trailing_avg(b, t) the 15 minutes before that, per minute. */
const TRAILING_OFFSET_MS = SURGE.recentMs;
const TRAILING_MINUTES = SURGE.trailingMs / MINUTE_MS;

export function parseSurgesParams(query: Record<string, unknown>, now = new Date()): Result<{ at: Date }> {
  const texts = queryTexts(query, SURGES_QUERY);
  if (!texts.ok) return texts;
  const at = timeParam('at', texts.value.at);
  if (!at.ok) return at;
  return ok({ at: at.value ?? now });
}

export interface ViewsParams {
  business_id: string;
  from: Date;
  to: Date;
}

export function parseViewsParams(
  businessId: unknown,
  query: Record<string, unknown>,
  now = new Date(),
): Result<ViewsParams> {
  if (typeof businessId !== 'string' || !BUSINESS_ID.test(businessId)) {
    return fail(
      `id: a business id is 1 to 64 characters of A-Z a-z 0-9 _ . : -, got '${excerpt(String(businessId))}'`,
    );
  }
  const texts = queryTexts(query, VIEWS_QUERY);
  if (!texts.ok) return texts;
  const range = timeRange(
    texts.value,
    { defaultMs: TRAFFIC_LIMITS.defaultViewsRangeMs, maxMs: TRAFFIC_LIMITS.maxViewsRangeMs },
    now,
  );
  if (!range.ok) return range;
  return ok({ business_id: businessId, ...range.value });
}

/** The top_surges partitions to read for `at`, newest first: its hour, then up to 24 before it. */
export function surgeHours(at: Date): Date[] {
  const hour = bucketOf(at, HOUR_MS).getTime();
  return Array.from(
    { length: TRAFFIC_LIMITS.surgeLookbackHours + 1 },
    (_, back) => new Date(hour - back * HOUR_MS),
  );
}

type SurgeRow = Pick<
  TrafficTables['top_surges'],
  'step' | 'rank' | 'business_id' | 'views_60s' | 'trailing_avg' | 'surge' | 'surging_since'
>;

/** Of rows newest step first (as top_surges clusters them), those of the newest step. */
export function newestStep<R extends { step: Date }>(rows: R[]): R[] {
  const newest = rows[0]?.step.getTime();
  return rows.filter((row) => row.step.getTime() === newest);
}

/** One business in the top list of a step; name and place are null while it is not in the catalogue. */
export interface SurgeAnswerEntry {
  rank: number;
  business_id: string;
  name: string | null;
  category: string | null;
  city: string | null;
  country: string | null;
  lat: number | null;
  lon: number | null;
  views_60s: number;
  trailing_avg: number;
  surge: number;
  /** The first step of the business's current run above the alert ratio in the top 10; null when not above. */
  surging_since: string | null;
}

export interface SurgesAnswer {
  step: string | null;
  surges: SurgeAnswerEntry[];
}

/**
 * The answer for one step's rows, by rank, each with its business's name and place; a business
 * not in the catalogue yet has them null.
 */
export function surgesAnswer(rows: SurgeRow[], businesses: Map<string, Business>): SurgesAnswer {
  const step = rows[0]?.step;
  if (step === undefined) return { step: null, surges: [] };
  return {
    step: step.toISOString(),
    surges: [...rows]
      .sort((a, b) => a.rank - b.rank)
      .map((row) => {
        const business = businesses.get(row.business_id);
        return {
          rank: row.rank,
          business_id: row.business_id,
          name: business?.name ?? null,
          category: business?.category ?? null,
          city: business?.city ?? null,
          country: business?.country ?? null,
          lat: business?.lat ?? null,
          lon: business?.lon ?? null,
          views_60s: row.views_60s,
          trailing_avg: row.trailing_avg,
          surge: row.surge,
          surging_since: row.surging_since?.toISOString() ?? null,
        };
      }),
  };
}

/**
 * What to read of business_minutes for [from, to): the minutes from 16 before the first one (for
 * the trailing averages of the first minutes) up to `to`, and the hours whose partitions hold them.
 */
export function viewsReadPlan(from: Date, to: Date): { from: Date; to: Date; hours: Date[] } {
  const readFrom = bucketStart(from.getTime(), MINUTE_MS) - TRAILING_OFFSET_MS - SURGE.trailingMs;
  return {
    from: new Date(readFrom),
    to,
    hours: bucketsBetween(readFrom, to.getTime(), HOUR_MS).map((hour) => new Date(hour)),
  };
}

export interface MinuteViews {
  minute: string;
  views: number;
  trailing_avg: number;
}

/**
 * Each stored minute m in [from, to), oldest first, with trailing_avg: its business's views over
 * the 15 minutes [m − 16 min, m − 1 min) divided by 15, a minute without a row counting 0.
 * `rows` must hold every stored minute from 16 before `from` (see viewsReadPlan).
 */
export function minutesWithTrailing(
  rows: { minute: Date; views: number }[],
  from: Date,
  to: Date,
): MinuteViews[] {
  const views = new Map(rows.map((row) => [row.minute.getTime(), row.views]));
  return [...views.keys()]
    .filter((minute) => minute >= from.getTime() && minute < to.getTime())
    .sort((a, b) => a - b)
    .map((minute) => {
      let trailing = 0;
      const start = minute - TRAILING_OFFSET_MS - SURGE.trailingMs;
      for (let earlier = start; earlier < minute - TRAILING_OFFSET_MS; earlier += MINUTE_MS) {
        trailing += views.get(earlier) ?? 0;
      }
      return {
        minute: new Date(minute).toISOString(),
        views: views.get(minute)!,
        trailing_avg: trailing / TRAILING_MINUTES,
      };
    });
}
