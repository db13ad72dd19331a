import os from 'node:os';
import { z } from 'zod';
import { cassandraSettings, integerSetting, kafkaSettings, parseEnv } from '../common/env.ts';

const processorEnv = z.object({
  ...kafkaSettings,
  ...cassandraSettings,
  PROCESSOR_GROUP_ID: z.string().min(1).default('processor'),
  PROCESSOR_INSTANCE_ID: z.string().min(1).default(os.hostname()),
  PROCESSOR_BATCH_MAX_RECORDS: integerSetting(500, 1, 100_000),
  PROCESSOR_BATCH_MAX_WAIT_MS: integerSetting(500, 10, 60_000),
  PROCESSOR_SESSION_TIMEOUT_MS: integerSetting(10_000, 6_000, 300_000),
  PROCESSOR_METRICS_HOST: z.string().default('127.0.0.1'),
  PROCESSOR_METRICS_PORT: integerSetting(9464, 0, 65_535),
  PROCESSOR_LATE_AFTER_SECONDS: integerSetting(3600, 1, 604_800),
  PROCESSOR_TOPIC_PREFIX: z.string().default(''),
});

/** The processor's settings, read from the environment and validated once at start. */
export function loadProcessorConfig(env: NodeJS.ProcessEnv = process.env) {
  const settings = parseEnv(processorEnv, env);
  return {
    kafkaBrokers: settings.KAFKA_BROKERS,
    cassandraContactPoints: settings.CASSANDRA_CONTACT_POINTS,
    cassandraLocalDc: settings.CASSANDRA_LOCAL_DC,
    keyspace: settings.CASSANDRA_KEYSPACE,
    groupId: settings.PROCESSOR_GROUP_ID,
    instanceId: settings.PROCESSOR_INSTANCE_ID,
    batchMaxRecords: settings.PROCESSOR_BATCH_MAX_RECORDS,
    batchMaxWaitMs: settings.PROCESSOR_BATCH_MAX_WAIT_MS,
    sessionTimeoutMs: settings.PROCESSOR_SESSION_TIMEOUT_MS,
    metricsHost: settings.PROCESSOR_METRICS_HOST,
    metricsPort: settings.PROCESSOR_METRICS_PORT,
    lateAfterMs: settings.PROCESSOR_LATE_AFTER_SECONDS * 1000,
    topicPrefix: settings.PROCESSOR_TOPIC_PREFIX,
  };
}

export type ProcessorConfig = ReturnType<typeof loadProcessorConfig>;
