import os from 'node:os';
import { z } from 'zod';
import { integerSetting, kafkaSettings, parseEnv } from '../../../common/env.ts';

const notifierEnv = z.object({
  ...kafkaSettings,
  DISCORD_WEBHOOK_URL: z
    .url({
      protocol: /^https?$/,
      error: 'an http(s) URL, like https://discord.com/api/webhooks/<id>/<token>',
    })
    .optional()
    .or(z.literal('').transform(() => undefined)),
  NOTIFIER_GROUP_ID: z.string().min(1).default('notifier'),
  NOTIFIER_INSTANCE_ID: z.string().min(1).default(os.hostname()),
  NOTIFIER_REQUEST_TIMEOUT_MS: integerSetting(10_000, 100, 120_000),
  NOTIFIER_SESSION_TIMEOUT_MS: integerSetting(30_000, 6_000, 300_000),
  NOTIFIER_RATE_LIMIT_MAX_WAIT_SECONDS: integerSetting(60, 1, 3600),
  NOTIFIER_METRICS_HOST: z.string().default('127.0.0.1'),
  NOTIFIER_METRICS_PORT: integerSetting(9466, 0, 65_535),
  NOTIFIER_TOPIC_PREFIX: z.string().default(''),
});

/** The notifier's settings, read from the environment and validated once at start. */
export function loadNotifierConfig(env: NodeJS.ProcessEnv = process.env) {
  const settings = parseEnv(notifierEnv, env);
  return {
    kafkaBrokers: settings.KAFKA_BROKERS,
    webhookUrl: settings.DISCORD_WEBHOOK_URL,
    groupId: settings.NOTIFIER_GROUP_ID,
    instanceId: settings.NOTIFIER_INSTANCE_ID,
    requestTimeoutMs: settings.NOTIFIER_REQUEST_TIMEOUT_MS,
    sessionTimeoutMs: settings.NOTIFIER_SESSION_TIMEOUT_MS,
    rateLimitMaxWaitMs: settings.NOTIFIER_RATE_LIMIT_MAX_WAIT_SECONDS * 1000,
    metricsHost: settings.NOTIFIER_METRICS_HOST,
    metricsPort: settings.NOTIFIER_METRICS_PORT,
    topicPrefix: settings.NOTIFIER_TOPIC_PREFIX,
  };
}

export type NotifierConfig = ReturnType<typeof loadNotifierConfig>;
