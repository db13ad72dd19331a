import { fileURLToPath } from 'node:url';
/**
 * Hashtags and places (stream 4): the posts, the topics, the definitions (normalisation, the top
 * 10, trending) and the typed table rows shared by the generator, the processor's topology and
 * the query API.
 */
import { countries } from 'countries-list';
import { fail, ok, type Result } from '../../common/result.ts';
import { MINUTE_MS, SECOND_MS } from '../../common/time.ts';
import {
  all,
  decodeObject,
  DEFAULT_EVENT_TIME_RANGE,
  isObject,
  isoTime,
  number,
  text,
  type EventTimeRange,
  type Json,
} from '../../common/decode.ts';

export const POSTS_TOPIC = 'posts.raw';
/** One record per (post, distinct hashtag), keyed by the normalised hashtag: a hashtag's counts live in one partition. */
export const HASHTAG_USES_TOPIC = 'hashtags.uses-by-tag';
/** One record per post, keyed by its place: a place's counts live in one partition. */
export const PLACE_POSTS_TOPIC = 'hashtags.posts-by-place';
/** The counting stage's per-partition top candidates of every 10 s step, merged into the global top 10. */
export const TOP_CANDIDATES_TOPIC = 'hashtags.top-candidates';

export const HASHTAGS_KEYSPACE = 'hashtags';

/** A post with more hashtags than this is a dead letter. */
export const MAX_HASHTAGS_PER_POST = 5;
export const MAX_POST_BYTES = 4 * 1024;
const MAX_ID_CHARS = 64;
export const MAX_TEXT_CHARS = 500;
const MAX_CITY_CHARS = 100;
export const MAX_HASHTAG_CHARS = 100;

/** The definitions of the top list; README "Hashtags and places" documents each. */
export const TOP = {
  /** The top list is computed for t on these boundaries... */
  stepMs: 10 * SECOND_MS,
  /** ...over posts with event time in [t - windowMs, t). */
  windowMs: 5 * MINUTE_MS,
  topN: 10,
} as const;

/**
 * The trend alert's definition. ratio(h, t) = posts_5m(h, t) / max(baseline(h, t), minBaseline),
 * where baseline is h's average per 5 minutes over the hour of whole minutes before the minute in
 * which [t - 5 min, t) starts, or over as much of that hour as the stream has seen (at least
 * `minHistoryMs` of it; before that, no ratio).
 */
export const TREND = {
  baselineMs: 60 * MINUTE_MS,
  minHistoryMs: 5 * MINUTE_MS,
  /** Rare hashtags trend only above this many posts per 5 minutes times the alert ratio. */
  minBaseline: 10,
  /** The alert's threshold: the metric, the dashboard and the rule use this one. */
  alertRatio: 10,
  /** The trending hashtags reported, highest ratio first: the metric's series are bounded by it. */
  reported: 10,
} as const;

export function trendRatio(posts5m: number, baseline: number): number {
  return posts5m / Math.max(baseline, TREND.minBaseline);
}

export interface Place {
  city: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  lat: number;
  lon: number;
}

export interface Post {
  post_id: string;
  user_id: string;
  /** Free text; its hashtags are the `#word` in it (see `hashtagsOf`). */
  text: string;
  /** ISO 639-1. */
  lang: string;
  /** ISO 8601 with offset. */
  event_time: string;
  place: Place;
}

/** A post once checked: its distinct normalised hashtags, and its event time in ms. */
export interface CheckedPost extends Post {
  hashtags: string[];
  time: number;
}

const COUNTRY_CODES: ReadonlySet<string> = new Set(Object.keys(countries));

export function isCountryCode(code: string): boolean {
  return COUNTRY_CODES.has(code);
}

/** A hashtag in text: '#' then letters, marks, digits or underscores (as most networks read them). */
const HASHTAG = /#([\p{L}\p{M}\p{N}_]+)/gu;

/**
 * The one normal form of a hashtag, under which counts are kept: the leading '#' removed,
 * Unicode NFC (so 'café' typed with a combining accent is the same tag), then case-folded
 * ('WorldCup', 'WORLDCUP' and 'worldcup' are one tag; so are 'Fußball' and 'FUSSBALL'). Case
 * folding is done as upper then lower case, which gives Unicode's full case folding for the
 * scripts hashtags are written in (ß to ss, final ς to σ), then NFC again.
 */
export function normaliseHashtag(tag: string): string {
  return tag.replace(/^#/, '').normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/** Every hashtag written in a text, in order, as written (not normalised). */
export function hashtagsIn(postText: string): string[] {
  return [...postText.matchAll(HASHTAG)].map((match) => match[1]!);
}

/** Code-point order, which `<` on JS strings (UTF-16 code units) differs from above U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done === true || y.done === true) return (x.done === true ? 0 : 1) - (y.done === true ? 0 : 1);
    const difference = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (difference !== 0) return difference;
  }
}

function place(json: Json): Result<Place> {
  const value = json['place'];
  if (!isObject(value)) return fail('invalid field place: expected an object');
  const fields = all({
    city: text(value, 'city', MAX_CITY_CHARS),
    country: text(value, 'country', 2),
    lat: number(value, 'lat', -90, 90),
    lon: number(value, 'lon', -180, 180),
  });
  if (!fields.ok) return fail(fields.reason.replace('invalid field ', 'invalid field place.'));
  if (!isCountryCode(fields.value.country)) {
    return fail(`invalid field place.country: unknown country code '${fields.value.country}'`);
  }
  return fields;
}

/** A post, checked field by field; the reason names the first thing wrong, for a dead letter. */
export function parsePost(
  bytes: Buffer | string | null,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Result<CheckedPost> {
  const decoded = decodeObject(bytes, MAX_POST_BYTES);
  if (!decoded.ok) return decoded;
  const json = decoded.value;
  const fields = all({
    post_id: text(json, 'post_id', MAX_ID_CHARS),
    user_id: text(json, 'user_id', MAX_ID_CHARS),
    text: text(json, 'text', MAX_TEXT_CHARS),
    lang: text(json, 'lang', 8),
    event_time: isoTime(json, 'event_time', eventTimes),
    place: place(json),
  });
  if (!fields.ok) return fields;
  const written = hashtagsIn(fields.value.text);
  if (written.length > MAX_HASHTAGS_PER_POST) {
    return fail(`too many hashtags: ${written.length}, at most ${MAX_HASHTAGS_PER_POST}`);
  }
  const long = written.find((tag) => tag.length > MAX_HASHTAG_CHARS);
  if (long !== undefined) return fail(`hashtag longer than ${MAX_HASHTAG_CHARS} characters: #${long}`);
  const { event_time, ...rest } = fields.value;
  return ok({
    ...rest,
    event_time: event_time.text,
    time: event_time.ms,
    hashtags: [...new Set(written.map(normaliseHashtag))],
  });
}

/** Where a repartitioned record comes from: the counting stages close windows by their slowest upstream partition. */
export interface Upstream {
  post_id: string;
  /** The post's event time, epoch ms. */
  time: number;
  /** The posts.raw partition of the post, and how many that topic has. */
  source_partition: number;
  source_partitions: number;
}

/** A repartitioned use of a hashtag: the counting stage's input, keyed by the hashtag. */
export interface HashtagUse extends Upstream {
  hashtag: string;
}

/** A repartitioned post, keyed by its place: the place-counting stage's input. */
export interface PlacePost extends Place, Upstream {}

export const UPSTREAM_FIELDS = ['post_id', 'time', 'source_partition', 'source_partitions'] as const;

/** The key a place is repartitioned and stored by. */
export function placeKey(where: Pick<Place, 'country' | 'city'>): string {
  return `${where.country}/${where.city}`;
}

/** Records of the topology's own topics: written by its first stage, so checked only for shape. */
export function parseInternal<T>(bytes: Buffer | null, fields: (keyof T & string)[]): Result<T> {
  const decoded = decodeObject(bytes, MAX_POST_BYTES * 64);
  if (!decoded.ok) return decoded;
  const missing = fields.find((field) => decoded.value[field] === undefined);
  if (missing !== undefined) return fail(`invalid internal record: no ${missing}`);
  return ok(decoded.value as T);
}

/** One hashtag's place in a top list. */
export interface TopEntry {
  hashtag: string;
  posts: number;
}

/** The ranking order: posts (descending), then hashtag in code-point order. */
export function compareTop(a: TopEntry, b: TopEntry): number {
  return b.posts - a.posts || compareCodePoints(a.hashtag, b.hashtag);
}

export interface TrendEntry {
  hashtag: string;
  posts_5m: number;
  /** Average posts per 5 minutes over the baseline (see `TREND`). */
  baseline: number;
  ratio: number;
}

export function compareTrends(a: TrendEntry, b: TrendEntry): number {
  return b.ratio - a.ratio || b.posts_5m - a.posts_5m || compareCodePoints(a.hashtag, b.hashtag);
}

/** A counting-stage message: one source partition's candidates for one step. */
export interface TopCandidates {
  /** Epoch ms of the step t. */
  step: number;
  source_partition: number;
  source_partitions: number;
  top: TopEntry[];
  trending: TrendEntry[];
}

/** Typed rows of streams/hashtags/schema.cql: the processor writes them, the query API reads them. */
export interface HashtagsTables {
  /** Posts with a hashtag in one minute of event time; partitioned by (hashtag, day). */
  hashtag_minutes: { hashtag: string; day: Date; minute: Date; posts: number };
  /** Posts with a hashtag over every closed minute. */
  hashtag_totals: { hashtag: string; posts: number };
  /** Posts from one city in one minute; partitioned by the hour of the minute. */
  place_minutes: {
    hour: Date;
    minute: Date;
    country: string;
    city: string;
    lat: number;
    lon: number;
    posts: number;
  };
  /** The global top 10 of one step; partitioned by the hour of the step. */
  top_hashtags: { hour: Date; step: Date; rank: number; hashtag: string; posts: number };
}

/** This stream's CQL schema: the processor applies it at start, Docker and npm start alike. */
export const SCHEMA_FILE = fileURLToPath(new URL('./schema.cql', import.meta.url));
