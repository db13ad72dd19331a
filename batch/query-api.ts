import { Router, type Response } from 'express';
import { z } from 'zod';
import type { HarmonyQueries } from './store.ts';

const HOUR_MS = 3_600_000;

/** Every request is bounded: a dashboard can never ask Cassandra for more than this. */
export const QUERY_LIMITS = {
  defaultRangeMs: HOUR_MS,
  maxRangeMs: 7 * 24 * HOUR_MS,
  maxDroneRangeMs: 24 * HOUR_MS,
  maxReports: 500,
  maxScores: 1000,
  maxRecentScores: 50,
} as const;

/** Grafana's ${__from}/${__to} are epoch milliseconds; people type ISO-8601. Both are taken. */
const time = z.union([
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform((text) => new Date(Number(text))),
  z.iso.datetime({ offset: true }).transform((text) => new Date(text)),
]);

const count = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

function rangeOf(maxRangeMs: number) {
  return z
    .object({ from: time.optional(), to: time.optional() })
    .transform(({ from, to }) => {
      const end = to ?? new Date();
      return { from: from ?? new Date(end.getTime() - QUERY_LIMITS.defaultRangeMs), to: end };
    })
    .refine(({ from, to }) => from < to, 'from must be earlier than to')
    .refine(
      ({ from, to }) => to.getTime() - from.getTime() <= maxRangeMs,
      `the range may span at most ${maxRangeMs / HOUR_MS} hours`,
    );
}

export const queryParams = {
  reports: z.object({
    range: rangeOf(QUERY_LIMITS.maxRangeMs),
    limit: count(100, QUERY_LIMITS.maxReports),
    // Grafana's "All" sends an empty value: every drone.
    drone: z
      .string()
      .max(64)
      .optional()
      .transform((drone) => (drone === '' ? undefined : drone)),
  }),
  personScores: z.object({
    person: z.string().regex(/^[\w.-]{1,64}$/, 'a person id like p-00042'),
    range: rangeOf(QUERY_LIMITS.maxRangeMs),
    limit: count(200, QUERY_LIMITS.maxScores),
  }),
  leaderboard: z.object({
    board: z.string().min(1).max(128).default('latest'),
    recent: count(20, QUERY_LIMITS.maxRecentScores),
  }),
  reportStats: z.object({
    range: rangeOf(QUERY_LIMITS.maxRangeMs),
    bucket_seconds: count(60, 3600),
  }),
  drones: z.object({ range: rangeOf(QUERY_LIMITS.maxDroneRangeMs) }),
};

export type ParamsResult<T> = { ok: true; params: T } | { ok: false; error: string };

/** Query-string text into checked parameters; the error names the parameter and what it must be. */
export function parseParams<T>(schema: z.ZodType<T>, query: Record<string, unknown>): ParamsResult<T> {
  const { from, to, ...rest } = query;
  const parsed = schema.safeParse({ ...rest, range: { from, to } });
  if (parsed.success) return { ok: true, params: parsed.data };
  const issue = parsed.error.issues[0]!;
  const path = issue.path.filter((part) => part !== 'range');
  const name = path.length > 0 ? path.join('.') : 'from/to';
  return { ok: false, error: `${name}: ${issue.message}` };
}

const ENDPOINTS = [
  'GET /api/reports?from&to&limit&drone: recent reports, newest first',
  'GET /api/persons/:person/scores?from&to&limit: one person’s score history, newest first',
  'GET /api/leaderboard?board&recent: the low-harmony top list with recent scores',
  'GET /api/report-stats?from&to&bucket_seconds: per-bucket averages from the batch job',
  'GET /api/drones?from&to: each drone’s latest position, reports and alerts',
];

/** The read-only query API the dashboards use through Grafana's Infinity datasource. */
export function queryApi(queries: HarmonyQueries): Router {
  const router = Router();
  const answer = async <T>(
    response: Response,
    schema: z.ZodType<T>,
    query: Record<string, unknown>,
    read: (params: T) => Promise<unknown>,
  ) => {
    const parsed = parseParams(schema, query);
    if (!parsed.ok) {
      response.status(400).json({ error: parsed.error });
      return;
    }
    try {
      response.json(await read(parsed.params));
    } catch (error) {
      response.status(503).json({ error: `Cassandra unavailable: ${(error as Error).message}` });
    }
  };

  router.get('/', (_request, response) => {
    response.json({ endpoints: ENDPOINTS });
  });
  router.get('/reports', (request, response) =>
    answer(response, queryParams.reports, request.query, ({ range, limit, drone }) =>
      queries.recentReports(range.from, range.to, limit, drone),
    ),
  );
  router.get('/persons/:person/scores', (request, response) =>
    answer(
      response,
      queryParams.personScores,
      { ...request.query, person: request.params.person },
      ({ person, range, limit }) => queries.personScores(person, range.from, range.to, limit),
    ),
  );
  router.get('/leaderboard', (request, response) =>
    answer(response, queryParams.leaderboard, request.query, ({ board, recent }) =>
      queries.leaderboard(board, recent),
    ),
  );
  router.get('/report-stats', (request, response) =>
    answer(response, queryParams.reportStats, request.query, ({ range, bucket_seconds }) =>
      queries.reportStats(bucket_seconds, range.from, range.to),
    ),
  );
  router.get('/drones', (request, response) =>
    answer(response, queryParams.drones, request.query, ({ range }) =>
      queries.droneActivity(range.from, range.to),
    ),
  );
  router.use((request, response) => {
    response
      .status(404)
      .json({ error: `no endpoint ${request.method} ${request.originalUrl}; GET /api lists them` });
  });
  return router;
}
