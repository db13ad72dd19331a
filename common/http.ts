import type { Server } from 'node:http';
import express from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** Further routes a service serves next to its metrics, e.g. a query API. */
export interface MountedRouter {
  path: string;
  router: express.Router;
}

export interface ServeOptions {
  host: string;
  port: number;
  /** The environment variable that sets the port, named when the port cannot be had. */
  portSetting: string;
  isReady: () => boolean;
  mounted?: MountedRouter[];
}

/**
 * Errors as JSON, whatever NODE_ENV says (Express's own error page shows a stack trace outside
 * production): a request that cannot even be read (a path like /persons/%ZZ/scores) is a 400
 * with the reason, anything else a 500 that names no internals, logged.
 */
export function jsonErrors(log?: Logger): express.ErrorRequestHandler {
  return (error: Error & { status?: number }, request, response, next) => {
    if (response.headersSent) return next(error);
    const status =
      error.status !== undefined && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) log?.error({ err: error, url: request.originalUrl }, 'request failed');
    const reason = error.message.length > 200 ? `${error.message.slice(0, 200)}…` : error.message;
    response
      .status(status)
      .json({ error: status === 500 ? 'internal error; the service log has the details' : reason });
  };
}

/** Serves /metrics for Prometheus, /healthz (the process is up) and /readyz (it is doing its job). */
export function serveMetrics(
  registry: Registry,
  { host, port, portSetting, isReady, mounted = [] }: ServeOptions,
): Promise<Server> {
  const app = express();
  for (const { path, router } of mounted) app.use(path, router);
  app.get('/metrics', async (_request, response) => {
    response.type(registry.contentType).send(await registry.metrics());
  });
  app.get('/healthz', (_request, response) => {
    response.send('ok');
  });
  app.get('/readyz', (_request, response) => {
    if (isReady()) response.send('ready');
    else response.status(503).send('not ready');
  });
  app.use(jsonErrors());
  return new Promise((resolve, reject) => {
    // Express 5 calls back on failure too (a port in use, say): the error must not pass for success.
    const server = app.listen(port, host, (error?: Error) => {
      if (error === undefined) resolve(server);
      else {
        const message = `cannot serve on ${host}:${port}: ${error.message} (see ${portSetting})`;
        reject(new Error(message, { cause: error }));
      }
    });
  });
}
