/**
 * Hashtags and places (stream 4) in the batch service: query-API routes over the tables the
 * processor writes (streams/hashtags/schema.cql). No jobs, and no schema of its own to
 * apply: until the processor has created the tables, the routes answer 503 saying so.
 */
import { TOP, type HashtagsTables } from './schema.ts';
import { TypedTables, inBatches } from '../../batch/rows.ts';
import { route, type BatchStream, type StreamContext } from '../../batch/stream.ts';
import { TablesPresent } from '../../batch/tables-present.ts';
import {
  COUNTS_QUERY,
  PLACES_QUERY,
  TOP_QUERY,
  countDays,
  countsAnswer,
  parseCountsParams,
  parsePlacesParams,
  parseTopParams,
  placeHours,
  placesAnswer,
  topAnswer,
  topHours,
  type CountsAnswer,
  type PlaceCount,
  type PlaceLevel,
  type TopAnswer,
} from './api.ts';

/** Every table of HashtagsTables, by name: the compiler keeps the two lists the same. */
const HASHTAGS_TABLES: Record<keyof HashtagsTables, true> = {
  hashtag_minutes: true,
  hashtag_totals: true,
  place_minutes: true,
  top_hashtags: true,
};

export class HashtagsQueries {
  private readonly tables: TypedTables<HashtagsTables>;
  private readonly present: TablesPresent;

  constructor(context: Pick<StreamContext, 'store' | 'keyspace' | 'log'>) {
    this.tables = new TypedTables(context.store, context.keyspace);
    this.present = new TablesPresent('hashtags', Object.keys(HASHTAGS_TABLES), context);
  }

  private read<T>(reading: () => Promise<T>): Promise<T> {
    return this.present.read(reading);
  }

  /** The top 10 of the newest step at or before `at`, looking back at most 24 hour partitions. */
  topAt(at: Date): Promise<TopAnswer> {
    return this.read(async () => {
      for (const hour of topHours(at)) {
        const rows = await this.tables.select(
          'top_hashtags',
          ['step', 'rank', 'hashtag', 'posts'],
          'WHERE hour = ? AND step <= ? LIMIT ?',
          [hour, at, TOP.topN],
        );
        if (rows.length > 0) return topAnswer(rows);
      }
      return topAnswer([]);
    });
  }

  /** One hashtag's stored minutes in [from, to), and its total. */
  counts(hashtag: string, from: Date, to: Date): Promise<CountsAnswer> {
    return this.read(async () => {
      const [totals, days] = await Promise.all([
        this.tables.select('hashtag_totals', ['posts'], 'WHERE hashtag = ?', [hashtag]),
        inBatches(countDays(from, to), (day) =>
          this.tables.select(
            'hashtag_minutes',
            ['minute', 'posts'],
            'WHERE hashtag = ? AND day = ? AND minute >= ? AND minute < ?',
            [hashtag, day, from, to],
          ),
        ),
      ]);
      // A bigint column: the driver answers a Long.
      return countsAnswer(hashtag, Number(totals[0]?.posts ?? 0), days.flat());
    });
  }

  /** Posts per place over the stored minutes in [from, to). */
  places(from: Date, to: Date, level: PlaceLevel): Promise<PlaceCount[]> {
    return this.read(async () => {
      const hours = await inBatches(placeHours(from, to), (hour) =>
        this.tables.select(
          'place_minutes',
          ['country', 'city', 'lat', 'lon', 'posts'],
          'WHERE hour = ? AND minute >= ? AND minute < ?',
          [hour, from, to],
        ),
      );
      return placesAnswer(hours.flat(), level);
    });
  }
}

function hashtagsRoutes(context: StreamContext) {
  const queries = new HashtagsQueries(context);
  return [
    route({
      path: '/hashtags/top',
      query: TOP_QUERY,
      summary:
        'the top 10 hashtags over [t − 5 min, t) at the newest 10 s step t at or before `at` (default now)',
      parse: ({ query }) => parseTopParams(query),
      read: ({ at }) => queries.topAt(at),
    }),
    route({
      path: '/hashtags/:tag/counts',
      query: COUNTS_QUERY,
      summary:
        'one hashtag’s posts per minute in [from, to) (at most 24 h) and in total; the tag is normalised',
      parse: ({ query, params }) => parseCountsParams(params['tag'], query),
      read: ({ hashtag, from, to }) => queries.counts(hashtag, from, to),
    }),
    route({
      path: '/places',
      query: PLACES_QUERY,
      summary: 'posts per city (or per country with level=country) in [from, to), at most 24 h, with lat/lon',
      parse: ({ query }) => parsePlacesParams(query),
      read: ({ from, to, level }) => queries.places(from, to, level),
    }),
  ];
}

export const hashtagsStream: BatchStream = {
  name: 'hashtags',
  routes: hashtagsRoutes,
};
