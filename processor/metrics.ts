import type { Server } from 'node:http';
import express from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the processor serves; names follow Prometheus' <area>_<what>_<unit> rule. */
export function createProcessorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    records: new Counter({
      name: 'processor_records_total',
      help: 'Records consumed, by source topic and outcome (accepted, rejected, late).',
      labelNames: ['topic', 'outcome'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: 'processor_dead_letters_total',
      help: 'Records sent to a dead-letter topic, by source topic.',
      labelNames: ['topic'] as const,
      registers,
    }),
    batchDuration: new Histogram({
      name: 'processor_batch_duration_seconds',
      help: 'Time to process one micro-batch: decode, store, produce and commit.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'processor_consumer_lag',
      help: 'Records between the committed position and the end of each partition.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    eventToStore: new Histogram({
      name: 'processor_event_to_store_seconds',
      help: 'Time from an event to its durable write in Cassandra.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    writeErrors: new Counter({
      name: 'processor_write_errors_total',
      help: 'Failed attempts to write, by sink (cassandra, kafka); each is retried.',
      labelNames: ['sink'] as const,
      registers,
    }),
    paused: new Gauge({
      name: 'processor_paused',
      help: '1 while the processor is backing off because a sink is failing.',
      registers,
    }),
  };
}

export type ProcessorMetrics = ReturnType<typeof createProcessorMetrics>;

export function serveMetrics(
  registry: Registry,
  host: string,
  port: number,
  isReady: () => boolean,
): Promise<Server> {
  const app = express();
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
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}
