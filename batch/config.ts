import cron from 'node-cron';
import { z } from 'zod';
import { cassandraSettings, integerSetting, listSetting, parseEnv } from '../common/env.ts';
import { HOUR_MS, MINUTE_MS, SECOND_MS } from '../common/time.ts';
import { LOW_SCORE_THRESHOLD } from '../streams/harmony/schema.ts';

const batchEnv = z.object({
  ...cassandraSettings,
  // CASSANDRA_KEYSPACE names harmony's keyspace; traffic's has a setting of its own, as valid.
  CASSANDRA_KEYSPACE_TRAFFIC: cassandraSettings.CASSANDRA_KEYSPACE.unwrap().default('traffic'),
  CASSANDRA_KEYSPACE_MARKETS: cassandraSettings.CASSANDRA_KEYSPACE.unwrap().default('markets'),
  CASSANDRA_KEYSPACE_HASHTAGS: cassandraSettings.CASSANDRA_KEYSPACE.unwrap().default('hashtags'),
  CASSANDRA_KEYSPACE_COMMUNITY: cassandraSettings.CASSANDRA_KEYSPACE.unwrap().default('community'),
  BATCH_SCHEDULE: z
    .string()
    .default('* * * * *')
    .refine((expression) => cron.validate(expression), 'a cron expression, like "* * * * *" (every minute)'),
  // The processor keeps per-hour low scores below LOW_SCORE_THRESHOLD only: a higher threshold
  // would silently miss scores, so it is refused.
  BATCH_LOW_SCORE_THRESHOLD: z.coerce.number().gt(0).max(LOW_SCORE_THRESHOLD).default(LOW_SCORE_THRESHOLD),
  BATCH_TOP_SIZE: integerSetting(10, 1, 100),
  BATCH_TOP_WINDOW_HOURS: integerSetting(24, 1, 24 * 31),
  BATCH_BUCKET_SECONDS: integerSetting(60, 1, 3600).refine(
    (seconds) => 3600 % seconds === 0,
    'a number of seconds that divides an hour (60, 300, 900, ...)',
  ),
  BATCH_LOOKBACK_MINUTES: integerSetting(60, 1, 24 * 60),
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
    harmonyKeyspace: settings.CASSANDRA_KEYSPACE,
    trafficKeyspace: settings.CASSANDRA_KEYSPACE_TRAFFIC,
    marketsKeyspace: settings.CASSANDRA_KEYSPACE_MARKETS,
    hashtagsKeyspace: settings.CASSANDRA_KEYSPACE_HASHTAGS,
    flightsKeyspace: settings.CASSANDRA_KEYSPACE_FLIGHTS,
    communityKeyspace: settings.CASSANDRA_KEYSPACE_COMMUNITY,
    schedule: settings.BATCH_SCHEDULE,
    lowScoreThreshold: settings.BATCH_LOW_SCORE_THRESHOLD,
    topSize: settings.BATCH_TOP_SIZE,
    topWindowMs: settings.BATCH_TOP_WINDOW_HOURS * HOUR_MS,
    bucketMs: settings.BATCH_BUCKET_SECONDS * SECOND_MS,
    lookbackMs: settings.BATCH_LOOKBACK_MINUTES * MINUTE_MS,
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
