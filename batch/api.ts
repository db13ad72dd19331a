import { Router, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { jsonErrors } from '../common/http.ts';
import { excerpt } from './params.ts';
import type { ApiAnswer, ApiRoute } from './stream.ts';

/** How GET /api lists a route: 'GET /api/reports?from&to&limit&drone: recent reports, newest first'. */
export function describeRoute(route: ApiRoute): string {
  const query = route.query.length > 0 ? `?${route.query.join('&')}` : '';
  return `GET /api${route.path}${query}: ${route.summary}`;
}

/** What bounds the query API's work: who may ask, how many at once, and for how long. */
export interface ApiLimits {
  /** Host names the API answers to (the Host header without its port): others are refused. */
  allowedHosts: readonly string[];
  /** Requests being answered at once; beyond, a 503 with Retry-After. */
  maxInFlight: number;
  /** A request not answered by then gets a 503; its read is abandoned by the answer, not by Cassandra. */
  timeoutMs: number;
}

/** The host name of a Host header (`[::1]:9465` → `::1`, `Localhost:80` → `localhost`). */
export function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  if (bracketed !== null) return bracketed[1]!.toLowerCase();
  return header.replace(/:\d+$/, '').toLowerCase();
}

/**
 * Only the configured host names: a web page that points a name of its own at this address
 * (DNS rebinding) sends that name, and is refused.
 */
function hostCheck(allowedHosts: readonly string[]): RequestHandler {
  const allowed = new Set(allowedHosts.map((host) => host.toLowerCase()));
  return (request, response, next) => {
    const host = hostName(request.headers.host);
    if (host !== undefined && allowed.has(host)) return next();
    response.status(403).json({
      error: `host '${excerpt(host ?? '')}' is not served; BATCH_ALLOWED_HOSTS lists the accepted host names`,
    });
  };
}

const RETRY_AFTER_SECONDS = 1;

/**
 * The read-only query API (mounted at /api), every stream's routes in one router; the
 * dashboards use it through Grafana's Infinity datasource. GET /api lists every route. Every
 * answer, errors included, is JSON with a reason.
 */
export function queryApi(
  streams: { name: string; routes: ApiRoute[] }[],
  limits: ApiLimits,
  log?: Logger,
): Router {
  const routes = streams.flatMap((stream) => stream.routes);
  const paths = new Set<string>();
  for (const route of routes) {
    if (paths.has(route.path)) throw new Error(`two streams answer GET /api${route.path}`);
    paths.add(route.path);
  }
  const endpoints = routes.map(describeRoute);

  let inFlight = 0;
  const router = Router();
  router.use(hostCheck(limits.allowedHosts));
  router.get('/', (_request, response) => {
    response.json({ endpoints });
  });
  for (const route of routes) {
    router.get(route.path, async (request, response) => {
      if (inFlight >= limits.maxInFlight) {
        response
          .status(503)
          .set('Retry-After', String(RETRY_AFTER_SECONDS))
          .json({ error: `busy: ${limits.maxInFlight} requests are being answered; retry shortly` });
        return;
      }
      // The slot is held until the read itself ends, not the answer: a timed-out read still costs.
      inFlight += 1;
      const work = route.handle({ query: request.query, params: request.params }).finally(() => {
        inFlight -= 1;
      });
      const answer = await withTimeout(work, limits.timeoutMs);
      if (answer.status === 503) response.set('Retry-After', String(RETRY_AFTER_SECONDS));
      response.status(answer.status).json(answer.body);
    });
  }
  router.use((request, response) => {
    response
      .status(404)
      .json({ error: `no endpoint ${request.method} ${excerpt(request.originalUrl)}; GET /api lists them` });
  });
  router.use(jsonErrors(log));
  return router;
}

async function withTimeout(work: Promise<ApiAnswer>, timeoutMs: number): Promise<ApiAnswer> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ApiAnswer>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 503, body: { error: `timed out: no answer within ${timeoutMs} ms` } }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
