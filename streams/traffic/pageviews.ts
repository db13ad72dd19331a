import { MINUTE_MS, SECOND_MS } from '../../common/time.ts';
import { SURGE, surgeRatio, type PageView, type Platform } from './schema.ts';
import { mulberry32 } from '../../generators/random.ts';
import { buildCatalogue, businessId } from './catalogue.ts';
import { cumulative, searchCumulative } from '../../generators/weights.ts';

/** Popularity of the business at rank r (1 = most viewed) is proportional to r^-ZIPF_EXPONENT. */
export const ZIPF_EXPONENT = 1.05;

const PLATFORMS_BY_WEIGHT: readonly { platform: Platform; weight: number }[] = [
  { platform: 'web', weight: 0.42 },
  { platform: 'ios', weight: 0.3 },
  { platform: 'android', weight: 0.28 },
];
const PATHS_BY_WEIGHT: readonly { path: string; weight: number }[] = [
  { path: '/', weight: 0.38 },
  { path: '/menu', weight: 0.17 },
  { path: '/reviews', weight: 0.15 },
  { path: '/contact', weight: 0.1 },
  { path: '/book', weight: 0.08 },
  { path: '/photos', weight: 0.08 },
  { path: '/hours', weight: 0.04 },
];
const PLATFORM_SUMS = cumulative(PLATFORMS_BY_WEIGHT.map((entry) => entry.weight));
const PATH_SUMS = cumulative(PATHS_BY_WEIGHT.map((entry) => entry.weight));

/**
 * A surging business gets this many times its usual views (drawn per surge)... Chance alone gives
 * some quiet business a surge ratio of 6 to 8 at almost every step at 4000/s (5 to 8 views in a
 * minute against an average under 1), so surges start above that to lead the top list.
 */
export const SURGE_MULTIPLIER = { min: 8, max: 12 } as const;
/** ...but at least this many views a minute, so that a surge shows even at low rates. */
export const MIN_SURGE_VIEWS_PER_MINUTE = 12;
/** How long a surge lasts (drawn per surge, whole seconds). */
export const SURGE_DURATION_MS = { min: 3 * MINUTE_MS, max: 5 * MINUTE_MS } as const;
/**
 * Surges start after this much event time when the run is long enough: by then the trailing
 * average a surge is measured against covers its full window.
 */
export const SURGE_WARMUP_MS = SURGE.trailingMs + SURGE.recentMs;
/** An endless run (no count) plans its surges as if it lasted this long. */
export const ENDLESS_RUN_PLAN_MS = 60 * MINUTE_MS;
/** Surging businesses come from this band of the popularity ranking (as fractions of the catalogue). */
export const SURGE_RANK_BAND = { from: 0.005, to: 0.03 } as const;
/** Surges never take more than this share of all views, however low the rate. */
export const MAX_SURGE_SHARE = 0.5;

// Each part of a run draws from its own PRNG, so that, say, asking for surges leaves the
// popularity ranking of a seed as it was.
const POPULARITY_SALT = 0x3c6ef372;
const PLAN_SALT = 0x5be0cd19;
const EVENTS_SALT = 0x1f83d9ab;
const salted = (seed: number, salt: number): (() => number) => mulberry32((seed ^ salt) >>> 0);

export interface PageViewsConfig {
  seed: number;
  /** Size of the catalogue the views are of. */
  businesses: number;
  /** How many businesses surge during the run. */
  surges: number;
  start: Date;
  /** Time between consecutive views (across all businesses), in milliseconds. */
  intervalMs: number;
  /** How many views the run has; surges are planned to fall inside it. Undefined: an endless run. */
  count?: number | undefined;
}

/** How views spread over the businesses for one seed. */
export interface Popularity {
  /** byRank[r] is the 0-based index of the business at rank r + 1 (rank 1 is the most viewed). */
  byRank: Int32Array;
  /** Running sums of the Zipf weights, by rank. */
  sums: Float64Array;
  /** The share of all views (without surges) of the business at a rank (1 = most viewed). */
  share(rank: number): number;
}

/** Zipf weights by rank, and a seeded permutation so that b-000001 is not simply the most viewed. */
export function popularity(seed: number, businesses: number): Popularity {
  const random = salted(seed, POPULARITY_SALT);
  const byRank = new Int32Array(businesses);
  for (let index = 0; index < businesses; index++) byRank[index] = index;
  for (let index = businesses - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const swap = byRank[index]!;
    byRank[index] = byRank[other]!;
    byRank[other] = swap;
  }
  const sums = new Float64Array(businesses);
  let total = 0;
  for (let rank = 1; rank <= businesses; rank++) {
    total += rank ** -ZIPF_EXPONENT;
    sums[rank - 1] = total;
  }
  return { byRank, sums, share: (rank) => rank ** -ZIPF_EXPONENT / total };
}

export interface PlannedSurge {
  business_id: string;
  /** Popularity rank of the business, 1 = most viewed. */
  rank: number;
  /** The surge covers event times in [start, end). */
  start: Date;
  end: Date;
  /** Views a minute the business gets outside its surge. */
  baseViewsPerMinute: number;
  /** Views a minute it gets during its surge. */
  viewsPerMinute: number;
  /** viewsPerMinute / baseViewsPerMinute. */
  multiplier: number;
  /**
   * The surge ratio of schema.ts at its peak, one minute in, when the surge fills the
   * recent window but not yet the trailing one (it falls from there as the surge enters the average).
   */
  surge: number;
}

interface Surge {
  planned: PlannedSurge;
  businessIndex: number;
  startMs: number;
  endMs: number;
  /** Shares of all views the business gets without and during its surge. */
  baseShare: number;
  surgeShare: number;
}

/** The band of 0-based popularity ranks surging businesses are drawn from, at least `surges` wide. */
function surgeBand(businesses: number, surges: number): { from: number; to: number } {
  const from = Math.floor(businesses * SURGE_RANK_BAND.from);
  const to = Math.min(businesses, Math.max(Math.ceil(businesses * SURGE_RANK_BAND.to), from + surges));
  return { from: Math.max(0, Math.min(from, to - surges)), to };
}

/** The whole second at a fraction of the way from earliest to latest (ms), or earliest when there is none. */
function wholeSecondBetween(fraction: number, earliest: number, latest: number): number {
  const first = Math.ceil(earliest / SECOND_MS);
  const last = Math.max(first, Math.floor(latest / SECOND_MS));
  return (first + Math.floor(fraction * (last - first + 1))) * SECOND_MS;
}

function planSurges(config: PageViewsConfig, ranking: Popularity): Surge[] {
  const random = salted(config.seed, PLAN_SALT);
  const surges = Math.min(config.surges, config.businesses);
  const band = surgeBand(config.businesses, surges);
  const viewsPerMinute = MINUTE_MS / config.intervalMs;
  const runMs = config.count === undefined ? ENDLESS_RUN_PLAN_MS : config.count * config.intervalMs;
  const chosen = new Set<number>();
  const plan: Surge[] = [];
  while (plan.length < surges) {
    // Four draws a try, taken or not, so that one surge's choices never shift another's.
    const rankIndex = band.from + Math.floor(random() * (band.to - band.from));
    const multiplier = SURGE_MULTIPLIER.min + random() * (SURGE_MULTIPLIER.max - SURGE_MULTIPLIER.min);
    const durationMs = wholeSecondBetween(random(), SURGE_DURATION_MS.min, SURGE_DURATION_MS.max);
    const placement = random();
    if (chosen.has(rankIndex)) continue;
    chosen.add(rankIndex);
    // After the warm-up when the run has room for it, else anywhere in the run.
    const earliest = runMs >= SURGE_WARMUP_MS + durationMs ? SURGE_WARMUP_MS : 0;
    const startMs =
      config.start.getTime() +
      wholeSecondBetween(placement, earliest, Math.max(earliest, runMs - durationMs));
    const baseShare = ranking.share(rankIndex + 1);
    const surgeShare = Math.min(
      MAX_SURGE_SHARE,
      Math.max(multiplier * baseShare, MIN_SURGE_VIEWS_PER_MINUTE / viewsPerMinute),
    );
    const businessIndex = ranking.byRank[rankIndex]!;
    const planned: PlannedSurge = {
      business_id: businessId(businessIndex, config.businesses),
      rank: rankIndex + 1,
      start: new Date(startMs),
      end: new Date(startMs + durationMs),
      baseViewsPerMinute: baseShare * viewsPerMinute,
      viewsPerMinute: surgeShare * viewsPerMinute,
      multiplier: surgeShare / baseShare,
      surge: surgeRatio(surgeShare * viewsPerMinute, baseShare * viewsPerMinute),
    };
    plan.push({ planned, businessIndex, startMs, endMs: startMs + durationMs, baseShare, surgeShare });
  }
  return plan.sort((a, b) => a.startMs - b.startMs || a.planned.rank - b.planned.rank);
}

/**
 * Which businesses surge when, for a run with this config: what `pageViews` will do, known in
 * advance (sorted by start). Each surging business comes from the middle of the popularity
 * ranking, so the surge stands out against its own average rather than by sheer volume.
 */
export function surgePlan(config: PageViewsConfig): PlannedSurge[] {
  return planSurges(config, popularity(config.seed, config.businesses)).map((surge) => surge.planned);
}

/** One line per planned surge, for a person watching the run. */
export function describeSurgePlan(config: PageViewsConfig): string[] {
  const plan = planSurges(config, popularity(config.seed, config.businesses));
  if (plan.length === 0) return [];
  const catalogue = buildCatalogue(config.businesses);
  return plan.map(({ planned, businessIndex }, index) => {
    const business = catalogue.business(businessIndex);
    return (
      `surge ${index + 1}/${plan.length}: ${planned.business_id} "${business.name}" (${business.category}, ` +
      `${business.city}), rank ${planned.rank}, ${planned.start.toISOString()} to ${planned.end.toISOString()}: ` +
      `${planned.baseViewsPerMinute.toFixed(1)} -> ${planned.viewsPerMinute.toFixed(1)} views/min ` +
      `(x${planned.multiplier.toFixed(1)}, surge ratio ${planned.surge.toFixed(1)})`
    );
  });
}

/** A stretch of event time in which the same surges are on, and how they take their views. */
interface Segment {
  /** Event times before this belong to the segment (the segments are consecutive). */
  endMs: number;
  /** Of every view in the segment, this share goes to a surging business... */
  surgeShare: number;
  /** ...chosen by these running sums of their extra shares. */
  sums: Float64Array;
  businesses: Int32Array;
}

/**
 * Surges take their extra views from everyone: with q_b of all views drawn for surging business b
 * and the rest by popularity, b gets q_b + (1 - Q) p_b, where Q = sum q. Solving that for the
 * planned share s_b gives q_b = (s_b - p_b) + Q p_b with Q = sum(s_b - p_b) / (1 - sum p_b).
 */
function segmentsOf(plan: Surge[]): Segment[] {
  const bounds = [...new Set(plan.flatMap((surge) => [surge.startMs, surge.endMs]))];
  bounds.sort((a, b) => a - b);
  const starts = [Number.NEGATIVE_INFINITY, ...bounds];
  return starts.map((from, index) => {
    const on = plan.filter((surge) => surge.startMs <= from && from < surge.endMs);
    const baseShares = on.reduce((sum, surge) => sum + surge.baseShare, 0);
    const extra = on.reduce((sum, surge) => sum + Math.max(0, surge.surgeShare - surge.baseShare), 0);
    const wanted = baseShares < 1 ? extra / (1 - baseShares) : 0;
    const surgeShare = Math.min(MAX_SURGE_SHARE, wanted);
    const scale = wanted > 0 ? surgeShare / wanted : 0;
    const shares = on.map(
      (surge) => (Math.max(0, surge.surgeShare - surge.baseShare) + wanted * surge.baseShare) * scale,
    );
    return {
      endMs: bounds[index] ?? Number.POSITIVE_INFINITY,
      surgeShare,
      sums: cumulative(shares),
      businesses: Int32Array.from(on, (surge) => surge.businessIndex),
    };
  });
}

/**
 * `new Date(ms).toISOString()`, but formatting each second once: at thousands of views a second
 * most views share their second with the one before.
 */
function isoTimes(): (ms: number) => string {
  let second = Number.NaN;
  let prefix = '';
  return (ms) => {
    const whole = Math.trunc(ms);
    const secondStart = Math.floor(whole / SECOND_MS) * SECOND_MS;
    if (secondStart !== second) {
      second = secondStart;
      prefix = new Date(secondStart).toISOString().slice(0, -'000Z'.length);
    }
    return `${prefix}${String(whole - secondStart).padStart(3, '0')}Z`;
  };
}

/**
 * An endless, deterministic sequence of page views: view i happens at start + i * interval, of a
 * business drawn by Zipf popularity, except that planned surges (see `surgePlan`) take a share of
 * the views while they last. The number of views per time stays the rate.
 */
export function* pageViews(config: PageViewsConfig): Generator<PageView> {
  const ranking = popularity(config.seed, config.businesses);
  const segments = segmentsOf(planSurges(config, ranking));
  const random = salted(config.seed, EVENTS_SALT);
  const start = config.start.getTime();
  const total = ranking.sums[ranking.sums.length - 1]!;
  // The start in the id keeps ids of runs that differ only in their start apart.
  const idPrefix = `r-${config.seed}-${start.toString(36)}-`;
  const isoTime = isoTimes();
  let segmentIndex = 0;
  let segment = segments[0]!;

  for (let index = 0; ; index++) {
    const time = start + index * config.intervalMs;
    while (time >= segment.endMs) segment = segments[++segmentIndex]!;
    const draw = segment.surgeShare > 0 ? random() : 1;
    const business =
      draw < segment.surgeShare
        ? segment.businesses[searchCumulative(segment.sums, draw)]!
        : ranking.byRank[searchCumulative(ranking.sums, random() * total)]!;
    yield {
      request_id: idPrefix + index,
      business_id: businessId(business, config.businesses),
      event_time: isoTime(time),
      platform: PLATFORMS_BY_WEIGHT[searchCumulative(PLATFORM_SUMS, random())]!.platform,
      path: PATHS_BY_WEIGHT[searchCumulative(PATH_SUMS, random())]!.path,
    };
  }
}
