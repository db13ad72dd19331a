import os from 'node:os';
import { z } from 'zod';
import { UsageError } from '../common/cli.ts';
import { cassandraSettings, integerSetting, kafkaSettings, parseEnv, timeSetting } from '../common/env.ts';
import type { PipelineFactory } from '../streams/manifest.ts';
import { STREAMS } from '../streams/index.ts';

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
    // and a 2 MiB fetch made micro-batches of about 2,400 (see the processor benches in the README).
    PROCESSOR_FETCH_MAX_BYTES_PER_PARTITION: integerSetting(8 * 1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
    PROCESSOR_PARTITIONS_CONCURRENTLY: integerSetting(3, 1, 64),
    PROCESSOR_SESSION_TIMEOUT_MS: integerSetting(10_000, 6_000, 300_000),
    PROCESSOR_METRICS_HOST: z.string().default('127.0.0.1'),
    PROCESSOR_METRICS_PORT: integerSetting(9464, 0, 65_535),
    PROCESSOR_LATE_AFTER_SECONDS: integerSetting(3600, 1, 604_800),
    PROCESSOR_TOPIC_PREFIX: z.string().default(''),
    EVENT_TIME_EARLIEST: timeSetting('2000-01-01T00:00:00Z'),
    EVENT_TIME_LATEST: timeSetting('2100-01-01T00:00:00Z'),
  })
  .refine((settings) => settings.EVENT_TIME_EARLIEST < settings.EVENT_TIME_LATEST, {
    path: ['EVENT_TIME_LATEST'],
    message: 'must be after EVENT_TIME_EARLIEST',
  });

/** `one,two` to the pipelines it names, each known; none named means every one. */
export function parsePipelines(text: string | undefined, known: readonly string[]): string[] {
  if (text === undefined || text.trim() === '') return [...known];
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0 || names.includes('')) {
    throw new UsageError(`unknown pipeline '${unknown[0] ?? ''}': choose from ${known.join(', ')}`);
  }
  return [...new Set(names)];
}

export interface AvailablePipeline {
  create: PipelineFactory;
  keyspace: string;
}

/** Each stream's pipelines, its settings read and checked; a pipeline name is unique over streams. */
function pipelinesOf(env: NodeJS.ProcessEnv): ReadonlyMap<string, AvailablePipeline> {
  const pipelines = new Map<string, AvailablePipeline>();
  for (const stream of STREAMS) {
    const { keyspace, pipelines: factories } = stream.configure(env);
    for (const [name, create] of Object.entries(factories)) {
      if (pipelines.has(name)) throw new Error(`two streams have a pipeline named ${name}`);
      pipelines.set(name, { create, keyspace });
    }
  }
  return pipelines;
}

/** The processor's settings, read from the environment and validated once at start. */
export function loadProcessorConfig(env: NodeJS.ProcessEnv = process.env) {
  const settings = parseEnv(processorEnv, env);
  return {
    kafkaBrokers: settings.KAFKA_BROKERS,
    cassandraContactPoints: settings.CASSANDRA_CONTACT_POINTS,
    cassandraLocalDc: settings.CASSANDRA_LOCAL_DC,
    /** Every pipeline of every stream by name, with the keyspace its stream's settings give it. */
    pipelinesAvailable: pipelinesOf(env),
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
    eventTimes: { earliestMs: settings.EVENT_TIME_EARLIEST, latestMs: settings.EVENT_TIME_LATEST },
    metricsHost: settings.PROCESSOR_METRICS_HOST,
    metricsPort: settings.PROCESSOR_METRICS_PORT,
    instanceId: settings.PROCESSOR_INSTANCE_ID,
  };
}

export type ProcessorConfig = ReturnType<typeof loadProcessorConfig>;
