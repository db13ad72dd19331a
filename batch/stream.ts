/**
 * What the batch service knows of a stream: its keyspace, its scheduled jobs and its query-API
 * routes. The service itself (batch/cli.ts, batch/api.ts) knows streams only through the
 * manifests of streams/index.ts.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CassandraStore } from '../common/cassandra.ts';
import type { Result } from '../common/result.ts';

export interface TimeRange {
  from: Date;
  to: Date;
}

/** What a stream's jobs and routes are given: a store bound to its keyspace (its own settings it has). */
export interface StreamContext {
  keyspace: string;
  store: CassandraStore;
  /** The registry /metrics serves: a stream registers the gauges that show its jobs' results here. */
  registry: Registry;
  log: Logger;
}

/** When a job runs: on the schedule (its rolling window ends at `now`) or over a range recomputed by hand. */
export interface JobRun {
  now: Date;
  range?: TimeRange;
}

export interface JobOutcome {
  /** What `batch --json` prints under the job's name. */
  result: unknown;
  /** A few numbers for the log line of a scheduled run. */
  summary: Record<string, unknown>;
}

export interface BatchJob {
  /** Unique over every stream: the `name` label of the job metrics and the key of `batch --json`. */
  name: string;
  run(when: JobRun): Promise<JobOutcome>;
}

/** A request as a route sees it: the query string (text, or a list when repeated) and the path parameters. */
export interface ApiRequest {
  query: Record<string, unknown>;
  params: Record<string, string | string[]>;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** One GET route of the query API, under /api. */
export interface ApiRoute {
  /** In express syntax, e.g. '/weather/stations/:id/readings'. */
  path: string;
  /** The query parameters it takes, as GET /api lists them. */
  query: readonly string[];
  summary: string;
  handle(request: ApiRequest): Promise<ApiAnswer>;
}

export interface BatchStream {
  readonly name: string;
  /**
   * What must hold before its jobs run, once Cassandra answers (such as a schema its jobs write).
   * Retried with backoff at start; the service is ready when every stream's is done.
   */
  prepare?(context: StreamContext): Promise<void>;
  /** Its scheduled jobs, run one after the other on BATCH_SCHEDULE and by `batch --once`. */
  jobs?(context: StreamContext): BatchJob[];
  routes(context: StreamContext): ApiRoute[];
}

/** A read that cannot be answered yet, for a reason a person can act on (a 503 with that reason). */
export class Unavailable extends Error {}

/**
 * A route from its pure parameter check and its read: a failed check is a 400 with the reason
 * (which names the parameter), a read that fails is a 503, never an unhandled error.
 */
export function route<P>(spec: {
  path: string;
  query: readonly string[];
  summary: string;
  parse(request: ApiRequest): Result<P>;
  read(params: P): Promise<unknown>;
}): ApiRoute {
  return {
    path: spec.path,
    query: spec.query,
    summary: spec.summary,
    async handle(request) {
      const parsed = spec.parse(request);
      if (!parsed.ok) return { status: 400, body: { error: parsed.reason } };
      try {
        return { status: 200, body: await spec.read(parsed.value) };
      } catch (error) {
        const reason =
          error instanceof Unavailable ? error.message : `Cassandra unavailable: ${(error as Error).message}`;
        return { status: 503, body: { error: reason } };
      }
    },
  };
}
