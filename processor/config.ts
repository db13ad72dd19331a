import os from 'node:os';
import { z } from 'zod';
import { UsageError } from '../common/cli.ts';
import {
  cassandraSettings,
  integerSetting,
  kafkaSettings,
  parseEnv,
  streamKeyspace,
  timeSetting,
} from '../common/env.ts';

const processorEnv = z
  .object({
    ...kafkaSettings,
    ...cassandraSettings,
    PROCESSOR_PIPELINES: z.string().optional(),
    PROCESSOR_GROUP_ID: z.string().min(1).default('processor'),
    PROCESSOR_INSTANCE_ID: z.string().min(1).default(os.hostname()),
    // Fewer, larger transactions: 20,000 page views a micro-batch drained about 1.2 times faster
    // than 5,000 (fewer changelog records, commits and Cassandra calls), for the same RSS.
    PROCESSOR_BATCH_MAX_RECORDS: integerSetting(20_000, 1, 100_000),
    PROCESSOR_BATCH_MAX_WAIT_MS: integerSetting(500, 10, 60_000),
    // A fetch caps a micro-batch: a drone report is about 860 bytes, so 8 MiB hold about 9,700,
    // and a 2 MiB fetch made micro-batches of about 2,400 (see the harmony bench in the README).
    PROCESSOR_FETCH_MAX_BYTES_PER_PARTITION: integerSetting(8 * 1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
    PROCESSOR_PARTITIONS_CONCURRENTLY: integerSetting(3, 1, 64),
    PROCESSOR_SESSION_TIMEOUT_MS: integerSetting(10_000, 6_000, 300_000),
    PROCESSOR_METRICS_HOST: z.string().default('127.0.0.1'),
    PROCESSOR_METRICS_PORT: integerSetting(9464, 0, 65_535),
    PROCESSOR_LATE_AFTER_SECONDS: integerSetting(3600, 1, 604_800),
    PROCESSOR_TOPIC_PREFIX: z.string().default(''),
    EVENT_TIME_EARLIEST: timeSetting('2000-01-01T00:00:00Z'),
    EVENT_TIME_LATEST: timeSetting('2100-01-01T00:00:00Z'),
    TRAFFIC_GRACE_SECONDS: integerSetting(10, 0, 3600),
    MARKETS_GRACE_SECONDS: integerSetting(30, 0, 86_400),
    HASHTAGS_GRACE_SECONDS: integerSetting(10, 0, 3600),
    FLIGHTS_GRACE_SECONDS: integerSetting(7200, 0, 172_800),
    COMMUNITY_GRACE_SECONDS: integerSetting(10, 0, 3600),
    COMMUNITY_POST_RETENTION_MINUTES: integerSetting(60, 1, 7 * 24 * 60),
  })
  .refine((settings) => settings.EVENT_TIME_EARLIEST < settings.EVENT_TIME_LATEST, {
    path: ['EVENT_TIME_LATEST'],
    message: 'must be after EVENT_TIME_EARLIEST',
  });

/** `traffic,harmony` to the pipelines it names, each known; none named means every one. */
export function parsePipelines(text: string | undefined, known: readonly string[]): string[] {
  if (text === undefined || text.trim() === '') return [...known];
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0 || names.includes('')) {
    throw new UsageError(`unknown pipeline '${unknown[0] ?? ''}': choose from ${known.join(', ')}`);
  }
  return [...new Set(names)];
}

/** The processor's settings, read from the environment and validated once at start. */
export function loadProcessorConfig(env: NodeJS.ProcessEnv = process.env) {
  const settings = parseEnv(processorEnv, env);
  return {
    kafkaBrokers: settings.KAFKA_BROKERS,
    cassandraContactPoints: settings.CASSANDRA_CONTACT_POINTS,
    cassandraLocalDc: settings.CASSANDRA_LOCAL_DC,
    keyspaceFor: (schemaKeyspace: string) => streamKeyspace(settings, schemaKeyspace),
    pipelines: settings.PROCESSOR_PIPELINES,
    runtime: {
      groupPrefix: settings.PROCESSOR_GROUP_ID,
      topicPrefix: settings.PROCESSOR_TOPIC_PREFIX,
      batchMaxRecords: settings.PROCESSOR_BATCH_MAX_RECORDS,
      batchMaxWaitMs: settings.PROCESSOR_BATCH_MAX_WAIT_MS,
      fetchMaxBytesPerPartition: settings.PROCESSOR_FETCH_MAX_BYTES_PER_PARTITION,
      partitionsConcurrently: settings.PROCESSOR_PARTITIONS_CONCURRENTLY,
      sessionTimeoutMs: settings.PROCESSOR_SESSION_TIMEOUT_MS,
      lateAfterMs: settings.PROCESSOR_LATE_AFTER_SECONDS * 1000,
    },
    streams: {
      eventTimes: { earliestMs: settings.EVENT_TIME_EARLIEST, latestMs: settings.EVENT_TIME_LATEST },
      traffic: { graceMs: settings.TRAFFIC_GRACE_SECONDS * 1000 },
      markets: { graceMs: settings.MARKETS_GRACE_SECONDS * 1000 },
      hashtags: { graceMs: settings.HASHTAGS_GRACE_SECONDS * 1000 },
      flights: { graceMs: settings.FLIGHTS_GRACE_SECONDS * 1000 },
      community: {
        graceMs: settings.COMMUNITY_GRACE_SECONDS * 1000,
        postRetentionMs: settings.COMMUNITY_POST_RETENTION_MINUTES * 60_000,
      },
    },
    metricsHost: settings.PROCESSOR_METRICS_HOST,
    metricsPort: settings.PROCESSOR_METRICS_PORT,
    instanceId: settings.PROCESSOR_INSTANCE_ID,
  };
}

export type ProcessorConfig = ReturnType<typeof loadProcessorConfig>;
