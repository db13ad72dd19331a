import os from 'node:os';
import { z } from 'zod';

const integer = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const processorEnv = z.object({
  KAFKA_BROKERS: z.string().default('127.0.0.1:9092'),
  CASSANDRA_CONTACT_POINTS: z.string().default('127.0.0.1:9042'),
  CASSANDRA_LOCAL_DC: z.string().default('datacenter1'),
  CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,47}$/, 'a lowercase CQL identifier')
    .default('harmony'),
  PROCESSOR_GROUP_ID: z.string().min(1).default('processor'),
  PROCESSOR_INSTANCE_ID: z.string().min(1).default(os.hostname()),
  PROCESSOR_BATCH_MAX_RECORDS: integer(500, 1, 100_000),
  PROCESSOR_BATCH_MAX_WAIT_MS: integer(500, 10, 60_000),
  PROCESSOR_SESSION_TIMEOUT_MS: integer(10_000, 6_000, 300_000),
  PROCESSOR_METRICS_HOST: z.string().default('127.0.0.1'),
  PROCESSOR_METRICS_PORT: integer(9464, 0, 65_535),
  PROCESSOR_TOPIC_PREFIX: z.string().default(''),
});

/** The processor's settings, read from the environment and validated once at start. */
export function loadProcessorConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = processorEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid ${String(issue.path[0])}: ${issue.message}`);
  }
  const settings = parsed.data;
  return {
    kafkaBrokers: settings.KAFKA_BROKERS.split(',').map((broker) => broker.trim()),
    cassandraContactPoints: settings.CASSANDRA_CONTACT_POINTS.split(',').map((point) => point.trim()),
    cassandraLocalDc: settings.CASSANDRA_LOCAL_DC,
    keyspace: settings.CASSANDRA_KEYSPACE,
    groupId: settings.PROCESSOR_GROUP_ID,
    instanceId: settings.PROCESSOR_INSTANCE_ID,
    batchMaxRecords: settings.PROCESSOR_BATCH_MAX_RECORDS,
    batchMaxWaitMs: settings.PROCESSOR_BATCH_MAX_WAIT_MS,
    sessionTimeoutMs: settings.PROCESSOR_SESSION_TIMEOUT_MS,
    metricsHost: settings.PROCESSOR_METRICS_HOST,
    metricsPort: settings.PROCESSOR_METRICS_PORT,
    topicPrefix: settings.PROCESSOR_TOPIC_PREFIX,
  };
}

export type ProcessorConfig = ReturnType<typeof loadProcessorConfig>;
