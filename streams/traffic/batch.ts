/**
 * Web-traffic surges (stream 3) in the batch service: query-API routes over the tables the
 * processor writes (streams/traffic/schema.cql). No jobs, and no schema of its own to
 * apply: until the processor has created the tables, the routes answer 503 saying so.
 */
import { businessShard, SURGE, type Business, type TrafficTables } from './schema.ts';
import { TypedTables } from '../../batch/rows.ts';
import { route, type BatchStream, type StreamContext } from '../../batch/stream.ts';
import { TablesPresent } from '../../batch/tables-present.ts';
import {
  SURGES_QUERY,
  VIEWS_QUERY,
  minutesWithTrailing,
  newestStep,
  parseSurgesParams,
  parseViewsParams,
  surgeHours,
  surgesAnswer,
  viewsReadPlan,
  type MinuteViews,
  type SurgesAnswer,
} from './api.ts';

/** Every table of TrafficTables, by name: the compiler keeps the two lists the same. */
const TRAFFIC_TABLES: Record<keyof TrafficTables, true> = {
  businesses: true,
  business_minutes: true,
  top_surges: true,
};

const BUSINESS_COLUMNS = ['business_id', 'name', 'category', 'city', 'country', 'lat', 'lon'] as const;

export class TrafficQueries {
  private readonly tables: TypedTables<TrafficTables>;
  private readonly present: TablesPresent;

  constructor(context: Pick<StreamContext, 'store' | 'keyspace' | 'log'>) {
    this.tables = new TypedTables(context.store, context.keyspace);
    this.present = new TablesPresent('traffic', Object.keys(TRAFFIC_TABLES), context);
  }

  private read<T>(reading: () => Promise<T>): Promise<T> {
    return this.present.read(reading);
  }

  private async businesses(ids: string[]): Promise<Map<string, Business>> {
    const found = await Promise.all(
      [...new Set(ids)].map((id) =>
        this.tables.select('businesses', BUSINESS_COLUMNS, 'WHERE business_id = ?', [id]),
      ),
    );
    return new Map(found.flat().map((business) => [business.business_id, business]));
  }

  /** The top 10 of the newest step at or before `at`, looking back at most 24 hour partitions. */
  surgesAt(at: Date): Promise<SurgesAnswer> {
    return this.read(async () => {
      for (const hour of surgeHours(at)) {
        const rows = newestStep(
          await this.tables.select(
            'top_surges',
            ['step', 'rank', 'business_id', 'views_60s', 'trailing_avg', 'surge', 'surging_since'],
            'WHERE hour = ? AND step <= ? LIMIT ?',
            [hour, at, SURGE.topN],
          ),
        );
        if (rows.length > 0) {
          return surgesAnswer(rows, await this.businesses(rows.map((row) => row.business_id)));
        }
      }
      return surgesAnswer([], new Map());
    });
  }

  /** One business's stored minutes in [from, to), each with its trailing average. */
  views(
    businessId: string,
    from: Date,
    to: Date,
  ): Promise<{ business_id: string; name: string | null; minutes: MinuteViews[] }> {
    return this.read(async () => {
      const plan = viewsReadPlan(from, to);
      const shard = businessShard(businessId);
      const [business, hours] = await Promise.all([
        this.businesses([businessId]),
        Promise.all(
          plan.hours.map((hour) =>
            this.tables.select(
              'business_minutes',
              ['minute', 'views'],
              'WHERE hour = ? AND shard = ? AND business_id = ? AND minute >= ? AND minute < ?',
              [hour, shard, businessId, plan.from, plan.to],
            ),
          ),
        ),
      ]);
      return {
        business_id: businessId,
        name: business.get(businessId)?.name ?? null,
        minutes: minutesWithTrailing(hours.flat(), from, to),
      };
    });
  }
}

function trafficRoutes(context: StreamContext) {
  const queries = new TrafficQueries(context);
  return [
    route({
      path: '/traffic/surges',
      query: SURGES_QUERY,
      summary: 'the top 10 surging businesses at the newest 10 s step at or before `at` (default now)',
      parse: ({ query }) => parseSurgesParams(query),
      read: ({ at }) => queries.surgesAt(at),
    }),
    route({
      path: '/traffic/businesses/:id/views',
      query: VIEWS_QUERY,
      summary: 'one business’s views per minute with their 15-minute trailing average (at most 24 h)',
      parse: ({ query, params }) => parseViewsParams(params['id'], query),
      read: ({ business_id, from, to }) => queries.views(business_id, from, to),
    }),
  ];
}

export const trafficStream: BatchStream = {
  name: 'traffic',
  routes: trafficRoutes,
};
