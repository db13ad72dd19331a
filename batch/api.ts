import { Router } from 'express';
import type { ApiRoute } from './stream.ts';

/** How GET /api lists a route: 'GET /api/reports?from&to&limit&drone: recent reports, newest first'. */
export function describeRoute(route: ApiRoute): string {
  const query = route.query.length > 0 ? `?${route.query.join('&')}` : '';
  return `GET /api${route.path}${query}: ${route.summary}`;
}

/**
 * The read-only query API (mounted at /api), every stream's routes in one router; the
 * dashboards use it through Grafana's Infinity datasource. GET /api lists every route.
 */
export function queryApi(streams: { name: string; routes: ApiRoute[] }[]): Router {
  const routes = streams.flatMap((stream) => stream.routes);
  const paths = new Set<string>();
  for (const route of routes) {
    if (paths.has(route.path)) throw new Error(`two streams answer GET /api${route.path}`);
    paths.add(route.path);
  }
  const endpoints = routes.map(describeRoute);

  const router = Router();
  router.get('/', (_request, response) => {
    response.json({ endpoints });
  });
  for (const route of routes) {
    router.get(route.path, async (request, response) => {
      const answer = await route.handle({ query: request.query, params: request.params });
      response.status(answer.status).json(answer.body);
    });
  }
  router.use((request, response) => {
    response
      .status(404)
      .json({ error: `no endpoint ${request.method} ${request.originalUrl}; GET /api lists them` });
  });
  return router;
}
