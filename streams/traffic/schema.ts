import { fileURLToPath } from 'node:url';
/**
 * Web-traffic surges (stream 3): the events, topics, definitions and typed table rows shared by
 * the generator, the processor's topology and the query API.
 */
import { ok, type Result } from '../../common/result.ts';
import {
  all,
  decodeObject,
  DEFAULT_EVENT_TIME_RANGE,
  isoTime,
  number,
  oneOf,
  text,
  type EventTimeRange,
} from '../../common/decode.ts';
import { MINUTE_MS, SECOND_MS } from '../../common/time.ts';

export const TRAFFIC_PAGEVIEWS_TOPIC = 'traffic.pageviews';
/** The business catalogue, keyed by business id: a compacted topic, so the latest entry per business stays. */
export const TRAFFIC_BUSINESSES_TOPIC = 'traffic.businesses';
/** Stage one's per-partition top candidates of every 10 s step, merged by stage two into the global top 10. */
export const TRAFFIC_SURGE_CANDIDATES_TOPIC = 'traffic.surge-candidates';

export const PLATFORMS = ['web', 'ios', 'android'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** The definitions of the surge ranking; README "Web traffic surges" documents each. */
export const SURGE = {
  /** Steps: the ranking is computed for t on these boundaries. */
  stepMs: 10 * SECOND_MS,
  /** views_60s(b, t): views with event time in [t - recentMs, t). */
  recentMs: 60 * SECOND_MS,
  /** trailing_avg(b, t): views in [t - recentMs - trailingMs, t - recentMs), per trailing minute. */
  trailingMs: 15 * MINUTE_MS,
  /** Only businesses with at least this many views in the recent window are ranked. */
  minRecentViews: 5,
  topN: 10,
  /** A business above this many times its trailing average is surging: the metric's and the alert's threshold. */
  alertRatio: 5,
  /**
   * How long a business must stay surging, at every step and in the top 10, for the alert:
   * chance gives some quiet business of 200,000 a ratio above 5 at nearly every step (6 views
   * in a minute against an average under 1), but never for two minutes on end.
   */
  alertForMs: 2 * MINUTE_MS,
} as const;

/** surge(b, t) = views_60s / max(trailing_avg, 1). */
export function surgeRatio(recentViews: number, trailingAvg: number): number {
  return recentViews / Math.max(trailingAvg, 1);
}

export interface PageView {
  request_id: string;
  business_id: string;
  /** ISO 8601 with offset. */
  event_time: string;
  platform: Platform;
  path: string;
}

export interface Business {
  business_id: string;
  name: string;
  category: string;
  city: string;
  country: string;
  lat: number;
  lon: number;
}

export const MAX_PAGEVIEW_BYTES = 4 * 1024;
export const MAX_BUSINESS_BYTES = 4 * 1024;
const MAX_ID_CHARS = 64;
const MAX_TEXT_CHARS = 512;

/** A page view as decoded: its fields and its event time in epoch ms. */
export interface CheckedPageView extends PageView {
  time: number;
}

/**
 * A page view, checked field by field; the reason names the first thing wrong, for a dead letter.
 * The checks run one after another rather than through `all`: this decoder runs for every view,
 * at over 100,000 a second, and building and walking `all`'s object of results took a third of
 * its time.
 */
export function parsePageView(
  bytes: Buffer | string | null,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Result<CheckedPageView> {
  const decoded = decodeObject(bytes, MAX_PAGEVIEW_BYTES);
  if (!decoded.ok) return decoded;
  const json = decoded.value;
  const requestId = text(json, 'request_id', MAX_ID_CHARS);
  if (!requestId.ok) return requestId;
  const businessId = text(json, 'business_id', MAX_ID_CHARS);
  if (!businessId.ok) return businessId;
  const eventTime = isoTime(json, 'event_time', eventTimes);
  if (!eventTime.ok) return eventTime;
  const platform = oneOf(json, 'platform', PLATFORMS);
  if (!platform.ok) return platform;
  const path = text(json, 'path', MAX_TEXT_CHARS);
  if (!path.ok) return path;
  return ok({
    request_id: requestId.value,
    business_id: businessId.value,
    event_time: eventTime.value.text,
    platform: platform.value,
    path: path.value,
    time: eventTime.value.ms,
  });
}

export function parseBusiness(bytes: Buffer | string | null): Result<Business> {
  const decoded = decodeObject(bytes, MAX_BUSINESS_BYTES);
  if (!decoded.ok) return decoded;
  const json = decoded.value;
  return all({
    business_id: text(json, 'business_id', MAX_ID_CHARS),
    name: text(json, 'name', MAX_TEXT_CHARS),
    category: text(json, 'category', MAX_TEXT_CHARS),
    city: text(json, 'city', MAX_TEXT_CHARS),
    country: text(json, 'country', MAX_TEXT_CHARS),
    lat: number(json, 'lat', -90, 90),
    lon: number(json, 'lon', -180, 180),
  });
}

/** One business's place in the top list of one step, as stage one proposes and stage two ranks. */
export interface SurgeEntry {
  business_id: string;
  views_60s: number;
  trailing_avg: number;
  surge: number;
}

/** The ranking order: surge, then views_60s (both descending), then business id (code-point order). */
export function compareSurges(a: SurgeEntry, b: SurgeEntry): number {
  if (a.surge !== b.surge) return b.surge - a.surge;
  if (a.views_60s !== b.views_60s) return b.views_60s - a.views_60s;
  return a.business_id < b.business_id ? -1 : a.business_id > b.business_id ? 1 : 0;
}

/** A stage-one message: one source partition's candidates for one step (empty when none qualify). */
export interface SurgeCandidates {
  /** Epoch ms of the step t. */
  step: number;
  source_partition: number;
  source_partitions: number;
  candidates: SurgeEntry[];
}

export const TRAFFIC_KEYSPACE = 'traffic';

/** How many shards an hour of business_minutes is spread over. */
export const BUSINESS_MINUTE_SHARDS = 64;

/**
 * The shard of business_minutes that holds a business's rows: the 32-bit FNV-1a hash of its id's
 * UTF-16 code units, modulo BUSINESS_MINUTE_SHARDS. The writer and the readers both call this;
 * changing it orphans every stored row.
 */
export function businessShard(businessId: string): number {
  let hash = 0x811c9dc5;
  for (let at = 0; at < businessId.length; at += 1) {
    hash ^= businessId.charCodeAt(at);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % BUSINESS_MINUTE_SHARDS;
}

/** Typed rows of streams/traffic/schema.cql: the processor writes them, the query API reads them. */
export interface TrafficTables {
  businesses: Business;
  /** Page views of one business in one minute of event time; partitioned by (hour, businessShard). */
  business_minutes: { hour: Date; shard: number; business_id: string; minute: Date; views: number };
  /** The global top 10 of one step; partitioned by the hour of the step. */
  top_surges: {
    hour: Date;
    step: Date;
    rank: number;
    business_id: string;
    views_60s: number;
    trailing_avg: number;
    surge: number;
    /** The first step of the business's current run of steps above `SURGE.alertRatio` in the top 10; null when not above. */
    surging_since: Date | null;
  };
}

/** This stream's CQL schema: the processor applies it at start, Docker and npm start alike. */
export const SCHEMA_FILE = fileURLToPath(new URL('./schema.cql', import.meta.url));
