import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the notifier serves. */
export function createNotifierMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics = {
    registry,
    alerts: new Counter({
      name: 'notifier_alerts_total',
      help: 'Alerts handled, by outcome: posted, logged (no webhook configured), rejected (by Discord), invalid.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    requests: new Counter({
      name: 'notifier_webhook_requests_total',
      help: 'Webhook requests, by status class: 2xx, 429, 4xx, 5xx, or error (no answer).',
      labelNames: ['status'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'notifier_webhook_request_duration_seconds',
      help: 'Time for one webhook request to be answered.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    eventToPost: new Histogram({
      name: 'notifier_event_to_post_seconds',
      help: 'Time from the event behind an alert to its post on Discord.',
      buckets: [0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers,
    }),
    deadLetters: new Counter({
      name: 'notifier_dead_letters_total',
      help: 'Alerts kept in the dead-letter topic instead of posted.',
      registers,
    }),
    retrying: new Gauge({
      name: 'notifier_retrying',
      help: '1 while the notifier is backing off because Discord or Kafka is failing, or waiting out a Discord rate limit.',
      registers,
    }),
    rateLimitWait: new Gauge({
      name: 'notifier_rate_limit_wait_seconds',
      help: 'How long the current wait for a Discord rate limit (429) lasts; 0 when not waiting.',
      registers,
    }),
    consumerLag: new Gauge({
      name: 'notifier_consumer_lag',
      help: 'Alerts between the committed position and the end of each partition.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
  };
  // Known label values start at zero, so rates and alerts see every series from the start.
  for (const outcome of ['posted', 'logged', 'rejected', 'invalid']) metrics.alerts.inc({ outcome }, 0);
  for (const status of ['2xx', '429', '4xx', '5xx', 'error']) metrics.requests.inc({ status }, 0);
  return metrics;
}

export type NotifierMetrics = ReturnType<typeof createNotifierMetrics>;

export function statusClass(status: number): string {
  if (status === 0) return 'error';
  if (status === 429) return '429';
  return `${Math.floor(status / 100)}xx`;
}
