import cron from 'node-cron';
import { z } from 'zod';
import { cassandraSettings, integerSetting, listSetting, parseEnv } from '../common/env.ts';
import { STREAMS } from '../streams/index.ts';

const batchEnv = z.object({
  ...cassandraSettings,
  BATCH_SCHEDULE: z
    .string()
    .default('* * * * *')
    .refine((expression) => cron.validate(expression), 'a cron expression, like "* * * * *" (every minute)'),
  BATCH_HTTP_HOST: z.string().default('127.0.0.1'),
  BATCH_HTTP_PORT: integerSetting(9465, 0, 65_535),
  BATCH_ALLOWED_HOSTS: listSetting('localhost,127.0.0.1'),
  BATCH_API_MAX_IN_FLIGHT: integerSetting(32, 1, 10_000),
  BATCH_API_TIMEOUT_MS: integerSetting(10_000, 100, 300_000),
});

/** The batch service's settings, read from the environment and validated once at start. */
export function loadBatchConfig(env: NodeJS.ProcessEnv = process.env) {
  const settings = parseEnv(batchEnv, env);
  return {
    cassandraContactPoints: settings.CASSANDRA_CONTACT_POINTS,
    cassandraLocalDc: settings.CASSANDRA_LOCAL_DC,
    /** Every stream, its own settings read and checked. */
    streams: STREAMS.map((stream) => stream.configure(env)),
    schedule: settings.BATCH_SCHEDULE,
    httpHost: settings.BATCH_HTTP_HOST,
    httpPort: settings.BATCH_HTTP_PORT,
    api: {
      allowedHosts: settings.BATCH_ALLOWED_HOSTS,
      maxInFlight: settings.BATCH_API_MAX_IN_FLIGHT,
      timeoutMs: settings.BATCH_API_TIMEOUT_MS,
    },
  };
}

export type BatchConfig = ReturnType<typeof loadBatchConfig>;
