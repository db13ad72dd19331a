import { MINUTE_MS } from '../../common/time.ts';
import { MAX_HASHTAGS_PER_POST, normaliseHashtag, type Post } from './schema.ts';
import { OptionError } from '../../generators/options.ts';
import { mulberry32 } from '../../generators/random.ts';
import { cumulative, searchCumulative } from '../../generators/weights.ts';
import { placeAt } from './places.ts';
import { VOCABULARY } from './vocabulary.ts';

/** Popularity of the hashtag at rank r (1 = most used) is proportional to r^-ZIPF_EXPONENT. */
export const ZIPF_EXPONENT = 1;
/** How many hashtags a post has: 0 to 5, with these weights. */
export const HASHTAG_COUNT_WEIGHTS = [0.2, 0.3, 0.22, 0.14, 0.09, 0.05] as const;
export const USERS = 100_000;
/** A trending hashtag is in this many times its usual share of posts... */
export const TREND_MULTIPLIER = 30;
/** ...and in at least this share of them, however rare it was (or new). */
export const TREND_MIN_SHARE = 0.03;

const FILLERS = [
  'Just saw this',
  'Can not stop thinking about it',
  'What a day',
  'Who else is watching',
  'Best thing this week',
  'Finally here',
  'Not sure how I feel about this',
  'Throwback to last year',
  'This made my morning',
  'Anyone around tonight',
  'Loving every minute',
  'Big news today',
  'So proud of everyone involved',
  'Could not agree more',
  'Hard to believe',
];

const COUNT_SUMS = cumulative(HASHTAG_COUNT_WEIGHTS);
const MEAN_HASHTAGS = HASHTAG_COUNT_WEIGHTS.reduce((sum, weight, count) => sum + weight * count, 0);

// Each part of a run draws from its own PRNG, so that, say, a trend leaves the rest of a seed's
// posts as they were.
const POPULARITY_SALT = 0x6a09e667;
const EVENTS_SALT = 0xbb67ae85;
const TREND_SALT = 0x3c6ef372;
const salted = (seed: number, salt: number): (() => number) => mulberry32((seed ^ salt) >>> 0);

/** `--trend TAG@MINUTE`: TAG trends from MINUTE minutes after the run's start. */
export interface Trend {
  /** As given, without '#'. */
  hashtag: string;
  minute: number;
}

export function parseTrend(text: string): Trend {
  const match = /^#?([\p{L}\p{M}\p{N}_]{1,100})@(\d{1,6})$/u.exec(text.trim());
  if (match === null) {
    throw new OptionError(
      `--trend must look like TAG@MINUTE (a hashtag, then the minute of the run it trends from), e.g. eclipse@10, got '${text}'`,
    );
  }
  return { hashtag: match[1]!, minute: Number(match[2]) };
}

export interface PostsConfig {
  seed: number;
  start: Date;
  /** Time between consecutive posts, in milliseconds. */
  intervalMs: number;
  trend?: Trend | undefined;
}

/** How hashtags spread over the vocabulary for one seed. */
export interface Popularity {
  /** byRank[r] is the vocabulary index of the hashtag at rank r + 1. */
  byRank: Int32Array;
  sums: Float64Array;
  /** The share of posts that carry the hashtag at a rank (1 = most used), without a trend. */
  postShare(rank: number): number;
  /** The rank of a normalised hashtag, or undefined when it is not in the vocabulary. */
  rankOf(hashtag: string): number | undefined;
}

/** Zipf weights by rank, and a seeded permutation of the vocabulary over the ranks. */
export function popularity(seed: number): Popularity {
  const random = salted(seed, POPULARITY_SALT);
  const size = VOCABULARY.length;
  const byRank = new Int32Array(size);
  for (let index = 0; index < size; index++) byRank[index] = index;
  for (let index = size - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const swap = byRank[index]!;
    byRank[index] = byRank[other]!;
    byRank[other] = swap;
  }
  const sums = new Float64Array(size);
  let total = 0;
  for (let rank = 1; rank <= size; rank++) {
    total += rank ** -ZIPF_EXPONENT;
    sums[rank - 1] = total;
  }
  const ranks = new Map<string, number>();
  byRank.forEach((index, rank) => ranks.set(normaliseHashtag(VOCABULARY[index]!), rank + 1));
  return {
    byRank,
    sums,
    postShare: (rank) => Math.min(1, (MEAN_HASHTAGS * rank ** -ZIPF_EXPONENT) / total),
    rankOf: (hashtag) => ranks.get(normaliseHashtag(hashtag)),
  };
}

/** The share of posts a trending hashtag is in once it trends. */
export function trendShare(trend: Trend, ranking: Popularity): number {
  const rank = ranking.rankOf(trend.hashtag);
  const usual = rank === undefined ? 0 : ranking.postShare(rank);
  return Math.min(1, Math.max(TREND_MULTIPLIER * usual, TREND_MIN_SHARE));
}

/** What a trend will do, for a person watching the run. */
export function describeTrend(config: PostsConfig): string[] {
  if (config.trend === undefined) return [];
  const ranking = popularity(config.seed);
  const rank = ranking.rankOf(config.trend.hashtag);
  const from = new Date(config.start.getTime() + config.trend.minute * MINUTE_MS);
  const usual =
    rank === undefined
      ? 'not in the vocabulary'
      : `rank ${rank} of ${VOCABULARY.length}, in ${(100 * ranking.postShare(rank)).toFixed(2)}% of posts`;
  return [
    `trend: #${config.trend.hashtag} (${usual}) in ${(100 * trendShare(config.trend, ranking)).toFixed(1)}% of posts from ${from.toISOString()}`,
  ];
}

/** How a hashtag is typed: mostly as displayed, sometimes all lower or upper case, sometimes decomposed (NFD). */
function typed(form: string, draw: number): string {
  if (draw < 0.6) return form;
  if (draw < 0.8) return form.toLowerCase();
  if (draw < 0.9) return form.toUpperCase();
  return form.normalize('NFD');
}

/**
 * An endless, deterministic sequence of posts: post i happens at start + i * interval, from a
 * city drawn by population, with 0-5 hashtags drawn by Zipf popularity (a trend, from its minute
 * on, adds its hashtag to its share of the posts).
 */
export function* posts(config: PostsConfig): Generator<Post> {
  const ranking = popularity(config.seed);
  const random = salted(config.seed, EVENTS_SALT);
  const trendRandom = salted(config.seed, TREND_SALT);
  const start = config.start.getTime();
  const total = ranking.sums[ranking.sums.length - 1]!;
  const trend = config.trend;
  const trendFrom = trend === undefined ? Number.POSITIVE_INFINITY : start + trend.minute * MINUTE_MS;
  const trendProbability = trend === undefined ? 0 : trendShare(trend, ranking);
  const idPrefix = `p-${config.seed}-${start.toString(36)}-`;

  for (let index = 0; ; index++) {
    const time = start + index * config.intervalMs;
    const place = placeAt(random());
    const count = searchCumulative(COUNT_SUMS, random());
    const tags: string[] = [];
    for (let tag = 0; tag < count; tag++) {
      const form = VOCABULARY[ranking.byRank[searchCumulative(ranking.sums, random() * total)]!]!;
      tags.push(typed(form, random()));
    }
    if (time >= trendFrom && trendRandom() < trendProbability) {
      const normal = normaliseHashtag(trend!.hashtag);
      if (!tags.some((tag) => normaliseHashtag(tag) === normal)) {
        if (tags.length === MAX_HASHTAGS_PER_POST) tags.pop();
        tags.push(trend!.hashtag);
      }
    }
    const filler = FILLERS[Math.floor(random() * FILLERS.length)]!;
    yield {
      post_id: idPrefix + index,
      user_id: `u-${String(Math.floor(random() * USERS)).padStart(5, '0')}`,
      text: [filler, ...tags.map((tag) => `#${tag}`)].join(' '),
      lang: place.lang,
      event_time: new Date(time).toISOString(),
      place: { city: place.city, country: place.country, lat: place.lat, lon: place.lon },
    };
  }
}
