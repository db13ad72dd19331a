/** The harmony routes' parameters: pure checks, so every bound is tested without Cassandra. */
import { z } from 'zod';
import { fail, ok, type Result } from '../../common/result.ts';
import { DAY_MS, HOUR_MS } from '../../common/time.ts';
import { parseTime, queryTexts } from '../../batch/params.ts';

/** Every request is bounded: a dashboard can never ask Cassandra for more than this. */
export const QUERY_LIMITS = {
  defaultRangeMs: HOUR_MS,
  maxRangeMs: 7 * DAY_MS,
  maxDroneRangeMs: DAY_MS,
  maxReports: 500,
  maxScores: 1000,
  maxRecentScores: 50,
} as const;

/** Epoch milliseconds (Grafana's ${__from}) or ISO-8601, as every route of the query API reads times. */
const time = z.string().transform((text, context) => {
  const parsed = parseTime(text);
  if (parsed.ok) return parsed.value;
  context.addIssue({ code: 'custom', message: parsed.reason });
  return z.NEVER;
});

/** A count in plain decimal digits: `0x10`, `1e2` or ` 16` are not numbers a person typed. */
const count = (fallback: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'expected a whole number in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .default(fallback);

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

/** Query-string text into checked parameters; the reason names the parameter and what it must be. */
export function parseParams<S extends z.ZodObject>(
  schema: S,
  query: Record<string, unknown>,
): Result<z.output<S>> {
  const known = Object.keys(schema.shape).flatMap((name) => (name === 'range' ? ['from', 'to'] : [name]));
  const texts = queryTexts(query, known);
  if (!texts.ok) return texts;
  const { from, to, ...rest } = texts.value;
  const parsed = schema.safeParse({ ...rest, range: { from, to } });
  if (parsed.success) return ok(parsed.data);
  const issue = parsed.error.issues[0]!;
  const path = issue.path.filter((part) => part !== 'range');
  const name = path.length > 0 ? path.join('.') : 'from/to';
  return fail(`${name}: ${issue.message}`);
}
