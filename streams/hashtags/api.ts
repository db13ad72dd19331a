/**
 * The hashtags routes' parameters and answers as pure functions: every bound and aggregation is
 * tested without Cassandra.
 */
import { fail, ok, type Result } from '../../common/result.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, bucketOf, bucketsBetween } from '../../common/time.ts';
import { MAX_HASHTAG_CHARS, normaliseHashtag, TOP, type HashtagsTables } from './schema.ts';
import { excerpt, queryTexts, timeParam, timeRange } from '../../batch/params.ts';

export const HASHTAGS_LIMITS = {
  /** Counts and places: the last hour unless asked, at most a day. */
  defaultRangeMs: HOUR_MS,
  maxRangeMs: DAY_MS,
  /** Hour partitions read before the one of `at` when that one holds no step at or before it. */
  topLookbackHours: 24,
} as const;

export const TOP_QUERY = ['at', 'window'] as const;
export const COUNTS_QUERY = ['from', 'to'] as const;
export const PLACES_QUERY = ['from', 'to', 'level'] as const;

/** The one ranking window the stream keeps, as `window` names it. */
const TOP_WINDOWS = ['5m', '300s', '300'];

export function parseTopParams(query: Record<string, unknown>, now = new Date()): Result<{ at: Date }> {
  const texts = queryTexts(query, TOP_QUERY);
  if (!texts.ok) return texts;
  const at = timeParam('at', texts.value.at);
  if (!at.ok) return at;
  const window = texts.value.window;
  if (window !== undefined && !TOP_WINDOWS.includes(window)) {
    return fail(
      `window: the top 10 is ranked over the last 5 minutes only (window=5m), got '${excerpt(window)}'`,
    );
  }
  return ok({ at: at.value ?? now });
}

/** The hashtag of the path, normalised as the stream stores it ('%23WorldCup' is 'worldcup'). */
export function parseHashtag(text: unknown): Result<string> {
  const hashtag = typeof text === 'string' ? normaliseHashtag(text) : '';
  if (!/^[\p{L}\p{M}\p{N}_]+$/u.test(hashtag) || hashtag.length > MAX_HASHTAG_CHARS) {
    return fail(
      `tag: a hashtag is 1 to ${MAX_HASHTAG_CHARS} letters, digits or underscores, with or without '#', got '${excerpt(String(text))}'`,
    );
  }
  return ok(hashtag);
}

export function parseCountsParams(
  tag: unknown,
  query: Record<string, unknown>,
  now = new Date(),
): Result<{ hashtag: string; from: Date; to: Date }> {
  const hashtag = parseHashtag(tag);
  if (!hashtag.ok) return hashtag;
  const texts = queryTexts(query, COUNTS_QUERY);
  if (!texts.ok) return texts;
  const range = timeRange(
    texts.value,
    { defaultMs: HASHTAGS_LIMITS.defaultRangeMs, maxMs: HASHTAGS_LIMITS.maxRangeMs },
    now,
  );
  return range.ok ? ok({ hashtag: hashtag.value, ...range.value }) : range;
}

export type PlaceLevel = 'country' | 'city';

export function parsePlacesParams(
  query: Record<string, unknown>,
  now = new Date(),
): Result<{ from: Date; to: Date; level: PlaceLevel }> {
  const texts = queryTexts(query, PLACES_QUERY);
  if (!texts.ok) return texts;
  const level = texts.value.level ?? 'city';
  if (level !== 'country' && level !== 'city') {
    return fail(`level: country or city, got '${excerpt(level)}'`);
  }
  const range = timeRange(
    texts.value,
    { defaultMs: HASHTAGS_LIMITS.defaultRangeMs, maxMs: HASHTAGS_LIMITS.maxRangeMs },
    now,
  );
  return range.ok ? ok({ ...range.value, level }) : range;
}

/** The top_hashtags partitions to read for `at`, newest first: its hour, then up to 24 before it. */
export function topHours(at: Date): Date[] {
  const hour = bucketOf(at, HOUR_MS).getTime();
  return Array.from(
    { length: HASHTAGS_LIMITS.topLookbackHours + 1 },
    (_, back) => new Date(hour - back * HOUR_MS),
  );
}

export interface TopAnswer {
  /** The step t of the list, [t - 5 min, t); null when there is none. */
  step: string | null;
  window: string;
  top: { rank: number; hashtag: string; count: number }[];
}

type TopRow = Pick<HashtagsTables['top_hashtags'], 'step' | 'rank' | 'hashtag' | 'posts'>;

/** Of rows newest step first (as top_hashtags clusters them), the newest step's list. */
export function topAnswer(rows: TopRow[]): TopAnswer {
  const newest = rows[0]?.step;
  return {
    step: newest?.toISOString() ?? null,
    window: `${TOP.windowMs / MINUTE_MS}m`,
    top: rows
      .filter((row) => row.step.getTime() === newest?.getTime())
      .sort((a, b) => a.rank - b.rank)
      .map((row) => ({ rank: row.rank, hashtag: row.hashtag, count: row.posts })),
  };
}

/** The day partitions of hashtag_minutes that hold [from, to). */
export function countDays(from: Date, to: Date): Date[] {
  return bucketsBetween(from.getTime(), to.getTime(), DAY_MS).map((day) => new Date(day));
}

/** The hour partitions of place_minutes that hold [from, to). */
export function placeHours(from: Date, to: Date): Date[] {
  return bucketsBetween(from.getTime(), to.getTime(), HOUR_MS).map((hour) => new Date(hour));
}

export interface CountsAnswer {
  hashtag: string;
  /** Posts with the hashtag over every closed minute, all time. */
  total: number;
  minutes: { minute: string; count: number }[];
}

export function countsAnswer(
  hashtag: string,
  total: number,
  rows: Pick<HashtagsTables['hashtag_minutes'], 'minute' | 'posts'>[],
): CountsAnswer {
  return {
    hashtag,
    total,
    minutes: [...rows]
      .sort((a, b) => a.minute.getTime() - b.minute.getTime())
      .map((row) => ({ minute: row.minute.toISOString(), count: row.posts })),
  };
}

export interface PlaceCount {
  /** A country code, or `<city>, <country code>`. */
  place: string;
  country: string;
  city: string | null;
  lat: number;
  lon: number;
  count: number;
}

type PlaceRow = Pick<HashtagsTables['place_minutes'], 'country' | 'city' | 'lat' | 'lon' | 'posts'>;

/**
 * Posts per place over the rows' minutes, busiest first. A country sits at the posts-weighted
 * mean position of its cities, where its posts come from.
 */
export function placesAnswer(rows: PlaceRow[], level: PlaceLevel): PlaceCount[] {
  const places = new Map<string, PlaceCount & { latSum: number; lonSum: number }>();
  for (const row of rows) {
    const key = level === 'country' ? row.country : `${row.city}, ${row.country}`;
    const place = places.get(key) ?? {
      place: key,
      country: row.country,
      city: level === 'country' ? null : row.city,
      lat: 0,
      lon: 0,
      count: 0,
      latSum: 0,
      lonSum: 0,
    };
    place.count += row.posts;
    place.latSum += row.lat * row.posts;
    place.lonSum += row.lon * row.posts;
    places.set(key, place);
  }
  return [...places.values()]
    .map(({ latSum, lonSum, ...place }) => ({
      ...place,
      lat: Number((latSum / place.count).toFixed(4)),
      lon: Number((lonSum / place.count).toFixed(4)),
    }))
    .sort((a, b) => b.count - a.count || (a.place < b.place ? -1 : 1));
}
