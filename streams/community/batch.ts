/**
 * Community activity (stream 2) in the batch service: query-API routes over the tables the
 * processor writes (streams/community/schema.cql). No jobs: the windows are final when
 * written. Until the processor has created the tables, the routes answer 503 saying so.
 */
import type { CommunityTables } from './schema.ts';
import { TypedTables } from '../../batch/rows.ts';
import { route, type BatchStream, type StreamContext } from '../../batch/stream.ts';
import { TablesPresent } from '../../batch/tables-present.ts';
import {
  TOP_POSTS_QUERY,
  WINDOW_COLUMNS,
  WINDOWS_QUERY,
  daysOf,
  mostEngaged,
  parseTopPostsParams,
  parseWindowsParams,
  topPostsAnswer,
  windowsAnswer,
  type TopPostsParams,
  type WindowsParams,
} from './api.ts';

const POST_COLUMNS = ['post_id', 'user_id', 'created_at', 'text', 'emotion', 'valence'] as const;

/** Every table of CommunityTables, by name: the compiler keeps the two lists the same. */
const COMMUNITY_TABLES: Record<keyof CommunityTables, true> = {
  windows: true,
  posts: true,
  post_totals: true,
  post_engagement: true,
};

export class CommunityQueries {
  private readonly tables: TypedTables<CommunityTables>;
  private readonly present: TablesPresent;

  constructor(context: Pick<StreamContext, 'store' | 'keyspace' | 'log'>) {
    this.tables = new TypedTables(context.store, context.keyspace);
    this.present = new TablesPresent('community', Object.keys(COMMUNITY_TABLES), context);
  }

  windows(params: WindowsParams) {
    return this.present.read(() => this.readWindows(params));
  }

  topPosts(params: TopPostsParams) {
    return this.present.read(() => this.readTopPosts(params));
  }

  private async readWindows({ community, from, to }: WindowsParams) {
    const days = await Promise.all(
      daysOf({ from, to }).map((day) =>
        this.tables.select(
          'windows',
          WINDOW_COLUMNS,
          'WHERE community = ? AND day = ? AND window_start >= ? AND window_start < ?',
          [community, day, from, to],
        ),
      ),
    );
    return { community, windows: windowsAnswer(days.flat()) };
  }

  private async readTopPosts({ community, from, to, limit }: TopPostsParams) {
    const days = await Promise.all(
      daysOf({ from, to }).map((day) =>
        this.tables.select(
          'post_engagement',
          ['post_id', 'likes', 'shares', 'comments'],
          'WHERE community = ? AND day = ? AND window_start >= ? AND window_start < ?',
          [community, day, from, to],
        ),
      ),
    );
    const ranked = mostEngaged(days.flat(), limit);
    const posts = await Promise.all(
      ranked.map(({ post_id }) => this.tables.select('posts', POST_COLUMNS, 'WHERE post_id = ?', [post_id])),
    );
    return {
      community,
      posts: topPostsAnswer(ranked, new Map(posts.flat().map((post) => [post.post_id, post]))),
    };
  }
}

function communityRoutes(context: StreamContext) {
  const queries = new CommunityQueries(context);
  return [
    route({
      path: '/community/windows',
      query: WINDOWS_QUERY,
      summary:
        'one community’s 30 s windows in [from, to) (default the last hour, at most 24 h): logged-in members, ' +
        'logins, posts, likes, shares, comments, mean valence and the count of each emotion',
      parse: ({ query }) => parseWindowsParams(query),
      read: (params) => queries.windows(params),
    }),
    route({
      path: '/community/posts/top',
      query: TOP_POSTS_QUERY,
      summary:
        'one community’s most engaged posts (likes + shares + comments in windows of [from, to)), ' +
        'with their text and emotion; limit 1-100, default 10',
      parse: ({ query }) => parseTopPostsParams(query),
      read: (params) => queries.topPosts(params),
    }),
  ];
}

export const communityStream: BatchStream = {
  name: 'community',
  routes: communityRoutes,
};
