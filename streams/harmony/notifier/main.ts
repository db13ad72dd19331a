import { Command } from 'commander';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { backoffDelay, retryUntilDone, untilAvailable } from '../../../common/backoff.ts';
import { loadSettings, runCli } from '../../../common/cli.ts';
import { serveMetrics } from '../../../common/http.ts';
import { createKafkaClient, exitWhenConsumerStops, trackConsumerLag } from '../../../common/kafka.ts';
import { deadLetter, type OutputRecord, type SourceRecord } from '../../../common/records.ts';
import {
  HARMONY_ALERTS_DLQ_TOPIC,
  HARMONY_ALERTS_TOPIC,
  parseHarmonyAlert,
  type HarmonyAlert,
} from '../schema.ts';
import { loadNotifierConfig, type NotifierConfig } from './config.ts';
import { toDiscordMessage } from './discord.ts';
import { createNotifierMetrics, statusClass } from './metrics.ts';
import { postOnce } from './webhook.ts';

const log: Logger = pino({ name: 'notifier' }, pino.destination(2));

const HEARTBEAT_SLICE_MS = 200;

/** Thrown out of a wait when SIGTERM arrives: the alert in hand stays uncommitted and is redelivered. */
class StopRequested extends Error {}

type Delivery = { posted: true } | { posted: false; reason: string };

/** Serves metrics, connects, then consumes alerts until SIGTERM or SIGINT. */
async function runNotifier(config: NotifierConfig): Promise<void> {
  const alertsTopic = `${config.topicPrefix}${HARMONY_ALERTS_TOPIC}`;
  const deadLetterTopic = `${config.topicPrefix}${HARMONY_ALERTS_DLQ_TOPIC}`;
  const metrics = createNotifierMetrics();
  let ready = false;
  const server = await serveMetrics(metrics.registry, {
    host: config.metricsHost,
    port: config.metricsPort,
    portSetting: 'NOTIFIER_METRICS_PORT',
    isReady: () => ready,
  });
  log.info({ url: `http://${config.metricsHost}:${config.metricsPort}/metrics` }, 'serving metrics');

  const kafka = createKafkaClient({
    brokers: config.kafkaBrokers,
    clientId: `notifier-${config.instanceId}`,
    log,
    requestRetries: 'long',
  });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.groupConsumer({
    groupId: config.groupId,
    sessionTimeoutMs: config.sessionTimeoutMs,
  });

  const stop = new AbortController();

  async function pause(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    for (let waited = 0; waited < ms; waited += HEARTBEAT_SLICE_MS) {
      if (stop.signal.aborted) throw new StopRequested('stopping');
      await new Promise((resolve) => setTimeout(resolve, Math.min(HEARTBEAT_SLICE_MS, ms - waited)));
      await heartbeat().catch(() => undefined);
    }
  }

  function untilKafkaAccepts(
    action: () => Promise<unknown>,
    heartbeat: () => Promise<void>,
  ): Promise<unknown> {
    return retryUntilDone(action, {
      onFailure(error, attempt) {
        if (attempt > 0) return;
        metrics.retrying.set(1);
        log.warn({ err: error }, 'kafka write failed; retrying with backoff');
      },
      onRecovered(attempts) {
        metrics.retrying.set(0);
        log.info({ attempts }, 'kafka accepts writes again');
      },
      wait: (ms) => pause(ms, heartbeat),
    });
  }

  /**
   * Posts until Discord takes the alert (2xx) or refuses it for good; 429s wait as long as
   * Discord asks, up to NOTIFIER_RATE_LIMIT_MAX_WAIT_SECONDS at a time.
   */
  async function post(url: string, alert: HarmonyAlert, heartbeat: () => Promise<void>): Promise<Delivery> {
    const message = toDiscordMessage(alert);
    const limits = { timeoutMs: config.requestTimeoutMs, maxWaitMs: config.rateLimitMaxWaitMs };
    for (let failures = 0, waits = 0; ;) {
      const timer = metrics.requestDuration.startTimer();
      const { status, verdict } = await postOnce(url, message, limits);
      timer();
      metrics.requests.inc({ status: statusClass(status) });
      switch (verdict.action) {
        case 'done':
          if (failures > 0 || waits > 0) {
            metrics.retrying.set(0);
            log.info({ attempts: failures + waits + 1 }, 'discord accepts posts again');
          }
          return { posted: true };
        case 'reject':
          return { posted: false, reason: verdict.reason };
        case 'wait': {
          const capped = verdict.requestedMs > verdict.ms;
          const details = { alert: alert.alert_id, waitMs: verdict.ms, requestedMs: verdict.requestedMs };
          const words =
            `rate limited by discord: waiting ${verdict.ms / 1000} s` +
            (capped
              ? ` (it asked ${verdict.requestedMs / 1000} s; NOTIFIER_RATE_LIMIT_MAX_WAIT_SECONDS caps a wait)`
              : '');
          // Once per alert at warn: its further waits say nothing new.
          if (waits === 0) log.warn(details, words);
          else log.debug(details, words);
          waits += 1;
          metrics.retrying.set(1);
          metrics.rateLimitWait.set(verdict.ms / 1000);
          try {
            await pause(verdict.ms, heartbeat);
          } finally {
            metrics.rateLimitWait.set(0);
          }
          break;
        }
        case 'retry':
          if (failures === 0) {
            metrics.retrying.set(1);
            log.warn({ reason: verdict.reason }, 'posting to discord failed; retrying with backoff');
          }
          await pause(backoffDelay(failures), heartbeat);
          failures += 1;
          break;
      }
    }
  }

  async function keep(letter: OutputRecord, heartbeat: () => Promise<void>): Promise<void> {
    await untilKafkaAccepts(() => producer.send([letter]), heartbeat);
    metrics.deadLetters.inc();
  }

  await untilAvailable(
    'kafka',
    async () => {
      await admin.connect();
      await admin.ensureTopics([alertsTopic, deadLetterTopic]);
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe([alertsTopic]);
    },
    log,
  );
  if (config.webhookUrl === undefined) {
    log.warn('DISCORD_WEBHOOK_URL is not set: alerts are logged here instead of posted');
  }

  const lagTimer = trackConsumerLag(
    admin,
    config.groupId,
    alertsTopic,
    (labels, lag) => metrics.consumerLag.set(labels, lag),
    log,
  );

  async function shutdown(signal: string): Promise<void> {
    if (stop.signal.aborted) return;
    stop.abort();
    log.info({ signal }, 'stopping after the alert in hand');
    clearInterval(lagTimer);
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
    server.close();
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  exitWhenConsumerStops(consumer, log, stop.signal);

  /** One alert: posted (or logged), or kept as a dead letter; then its offset is committed. */
  async function handle(record: SourceRecord, heartbeat: () => Promise<void>): Promise<void> {
    const parsed = parseHarmonyAlert(record.value);
    if (!parsed.ok) {
      metrics.alerts.inc({ outcome: 'invalid' });
      await keep(deadLetter(deadLetterTopic, { record, reason: parsed.reason }), heartbeat);
    } else if (config.webhookUrl === undefined) {
      metrics.alerts.inc({ outcome: 'logged' });
      log.info({ alert: parsed.value }, 'alert');
    } else {
      const delivery = await post(config.webhookUrl, parsed.value, heartbeat);
      if (delivery.posted) {
        metrics.alerts.inc({ outcome: 'posted' });
        metrics.eventToPost.observe(Math.max(0, (Date.now() - Date.parse(parsed.value.event_time)) / 1000));
      } else {
        metrics.alerts.inc({ outcome: 'rejected' });
        log.error({ alert: parsed.value.alert_id, reason: delivery.reason }, 'discord refused the alert');
        await keep(deadLetter(deadLetterTopic, { record, reason: delivery.reason }), heartbeat);
      }
    }
    const { topic, partition, offset } = record;
    const nextOffset = (BigInt(offset) + 1n).toString();
    await untilKafkaAccepts(() => consumer.commitOffsets([{ topic, partition, nextOffset }]), heartbeat);
  }

  await consumer.run({
    // One alert at a time per partition: its offset is committed right after its 2xx, so a crash
    // can repeat at most the alert that was in flight.
    eachBatch: async ({ records, resolveOffset, heartbeat, isRunning, isStale }) => {
      for (const record of records) {
        if (!isRunning() || isStale()) return;
        await handle(record, heartbeat);
        resolveOffset(record.offset);
        await heartbeat();
      }
    },
  });
  ready = true;
  log.info({ topic: alertsTopic, group: config.groupId }, 'consuming alerts');
}

const program = new Command('notifier')
  .description(
    'Posts each harmony alert to DISCORD_WEBHOOK_URL (or logs it when that is not set); an alert Discord refuses goes to the dead-letter topic.',
  )
  .addHelpText('after', '\nEvery setting is an environment variable: see the README table.')
  .exitOverride()
  .configureOutput({
    writeErr: (text) => process.stderr.write(text.startsWith('error:') ? `notifier: ${text}` : text),
  })
  .action(async () => runNotifier(loadSettings(loadNotifierConfig)));

await runCli(program, 'notifier', { exitWhenDone: false });
