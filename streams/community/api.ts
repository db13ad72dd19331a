/**
 * The community routes' parameters and answers as pure functions: every bound and the ranking
 * of the most engaged posts are tested without Cassandra.
 */
import { fail, ok, type Result } from '../../common/result.ts';
import { DAY_MS, HOUR_MS, bucketsBetween } from '../../common/time.ts';
import { EMOTIONS, type CommunityTables, type Emotion } from './schema.ts';
import { excerpt, queryTexts, timeRange } from '../../batch/params.ts';
import type { TimeRange } from '../../batch/stream.ts';

export const COMMUNITY_LIMITS = {
  /** The last hour unless asked, at most a day. */
  defaultRangeMs: HOUR_MS,
  maxRangeMs: DAY_MS,
  defaultTop: 10,
  maxTop: 100,
} as const;

/** The query parameters each route takes; any other is refused (GET /api lists them too). */
export const WINDOWS_QUERY = ['community', 'from', 'to'] as const;
export const TOP_POSTS_QUERY = ['community', 'from', 'to', 'limit'] as const;

export const COMMUNITY_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

export interface WindowsParams extends TimeRange {
  community: string;
}

export interface TopPostsParams extends WindowsParams {
  limit: number;
}

function communityParam(text: string | undefined): Result<string> {
  if (text === undefined) return fail('community: required, e.g. community=chess');
  if (!COMMUNITY_ID.test(text)) {
    return fail(`community: 1 to 64 characters of A-Z a-z 0-9 _ . : -, got '${excerpt(text)}'`);
  }
  return ok(text);
}

export function parseWindowsParams(query: Record<string, unknown>, now = new Date()): Result<WindowsParams> {
  const texts = queryTexts(query, WINDOWS_QUERY);
  if (!texts.ok) return texts;
  const community = communityParam(texts.value.community);
  if (!community.ok) return community;
  const range = timeRange(
    texts.value,
    { defaultMs: COMMUNITY_LIMITS.defaultRangeMs, maxMs: COMMUNITY_LIMITS.maxRangeMs },
    now,
  );
  if (!range.ok) return range;
  return ok({ community: community.value, ...range.value });
}

export function parseTopPostsParams(
  query: Record<string, unknown>,
  now = new Date(),
): Result<TopPostsParams> {
  const texts = queryTexts(query, TOP_POSTS_QUERY);
  if (!texts.ok) return texts;
  const { limit: limitText, ...rest } = texts.value;
  const windows = parseWindowsParams(rest, now);
  if (!windows.ok) return windows;
  const limit = limitText === undefined ? COMMUNITY_LIMITS.defaultTop : Number(limitText);
  if (!/^\d+$/.test(limitText ?? '10') || limit < 1 || limit > COMMUNITY_LIMITS.maxTop) {
    return fail(`limit: an integer from 1 to ${COMMUNITY_LIMITS.maxTop}, got '${excerpt(limitText ?? '')}'`);
  }
  return ok({ ...windows.value, limit });
}

/** The day partitions that hold the windows starting in [from, to). */
export function daysOf({ from, to }: TimeRange): Date[] {
  return bucketsBetween(from.getTime(), to.getTime(), DAY_MS).map((day) => new Date(day));
}

type WindowRow = Omit<CommunityTables['windows'], 'day' | 'community'>;

export type WindowAnswer = Omit<WindowRow, 'window_start'> & { window_start: string };

/** Windows oldest first, each with its counts and the count of each emotion. */
export function windowsAnswer(rows: WindowRow[]): WindowAnswer[] {
  return [...rows]
    .sort((a, b) => a.window_start.getTime() - b.window_start.getTime())
    .map(({ window_start, ...facts }) => ({ window_start: window_start.toISOString(), ...facts }));
}

type EngagementRow = Pick<CommunityTables['post_engagement'], 'post_id' | 'likes' | 'shares' | 'comments'>;

export interface PostEngagement {
  post_id: string;
  likes: number;
  shares: number;
  comments: number;
  /** likes + shares + comments in the range: what the ranking orders by. */
  engagement: number;
}

/** Engagement summed per post over the range's windows, the most engaged first (then by post id), `limit` of them. */
export function mostEngaged(rows: EngagementRow[], limit: number): PostEngagement[] {
  const sums = new Map<string, PostEngagement>();
  for (const { post_id, likes, shares, comments } of rows) {
    const sum = sums.get(post_id) ?? { post_id, likes: 0, shares: 0, comments: 0, engagement: 0 };
    sum.likes += likes;
    sum.shares += shares;
    sum.comments += comments;
    sum.engagement += likes + shares + comments;
    sums.set(post_id, sum);
  }
  return [...sums.values()]
    .sort(
      (a, b) => b.engagement - a.engagement || (a.post_id < b.post_id ? -1 : a.post_id > b.post_id ? 1 : 0),
    )
    .slice(0, limit);
}

type PostRow = Pick<
  CommunityTables['posts'],
  'post_id' | 'user_id' | 'created_at' | 'text' | 'emotion' | 'valence'
>;

export interface TopPostAnswer extends PostEngagement {
  rank: number;
  user_id: string | null;
  created_at: string | null;
  text: string | null;
  emotion: Emotion | null;
  valence: number | null;
}

/** The ranked posts with their text and emotion; a post not stored (older than the keyspace) has them null. */
export function topPostsAnswer(ranked: PostEngagement[], posts: Map<string, PostRow>): TopPostAnswer[] {
  return ranked.map((entry, index) => {
    const post = posts.get(entry.post_id);
    return {
      rank: index + 1,
      ...entry,
      user_id: post?.user_id ?? null,
      created_at: post?.created_at.toISOString() ?? null,
      text: post?.text ?? null,
      emotion: post?.emotion ?? null,
      valence: post?.valence ?? null,
    };
  });
}

export const WINDOW_COLUMNS = [
  'window_start',
  'logged_in',
  'logins',
  'posts',
  'likes',
  'shares',
  'comments',
  'valence_avg',
  ...EMOTIONS,
] as const;
