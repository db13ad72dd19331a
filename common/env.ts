import { z } from 'zod';

/** An integer setting within bounds, with its default. */
export const integerSetting = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** An ISO 8601 time setting with offset, read as epoch ms. */
export const timeSetting = (fallback: string) =>
  z.iso
    .datetime({ offset: true })
    .default(fallback)
    .transform((text) => Date.parse(text));

/** A comma-separated list setting (brokers, contact points), read as trimmed entries. */
export const listSetting = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text) => text.split(',').map((entry) => entry.trim()));

/** The environment checked against a service's settings; the error names the first bad variable. */
export function parseEnv<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv): T {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(`invalid ${String(issue.path[0])}: ${issue.message}`);
}

/** Where Kafka is: every program that reads or writes a topic has this setting. */
export const kafkaSettings = {
  KAFKA_BROKERS: listSetting('127.0.0.1:9092'),
};

/** A keyspace name setting: a lowercase CQL identifier. */
export const keyspaceSetting = (fallback: string) =>
  z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,47}$/, 'a lowercase CQL identifier')
    .default(fallback);

/**
 * Where Cassandra is and which keyspace each stream writes: shared by every program that reads
 * or writes it. Each stream has a keyspace of its own, named after it unless set.
 */
export const cassandraSettings = {
  CASSANDRA_CONTACT_POINTS: listSetting('127.0.0.1:9042'),
  CASSANDRA_LOCAL_DC: z.string().default('datacenter1'),
  /** Harmony's keyspace (stream 1). */
  CASSANDRA_KEYSPACE: keyspaceSetting('harmony'),
  CASSANDRA_KEYSPACE_TRAFFIC: keyspaceSetting('traffic'),
  CASSANDRA_KEYSPACE_MARKETS: keyspaceSetting('markets'),
  CASSANDRA_KEYSPACE_HASHTAGS: keyspaceSetting('hashtags'),
  CASSANDRA_KEYSPACE_FLIGHTS: keyspaceSetting('flights'),
  CASSANDRA_KEYSPACE_COMMUNITY: keyspaceSetting('community'),
};

/** The keyspace the settings give a stream, by the keyspace name its schema file uses. */
export function streamKeyspace(
  settings: {
    CASSANDRA_KEYSPACE: string;
    CASSANDRA_KEYSPACE_TRAFFIC: string;
    CASSANDRA_KEYSPACE_MARKETS: string;
    CASSANDRA_KEYSPACE_HASHTAGS: string;
    CASSANDRA_KEYSPACE_FLIGHTS: string;
    CASSANDRA_KEYSPACE_COMMUNITY: string;
  },
  schemaKeyspace: string,
): string {
  if (schemaKeyspace === 'harmony') return settings.CASSANDRA_KEYSPACE;
  if (schemaKeyspace === 'traffic') return settings.CASSANDRA_KEYSPACE_TRAFFIC;
  if (schemaKeyspace === 'markets') return settings.CASSANDRA_KEYSPACE_MARKETS;
  if (schemaKeyspace === 'hashtags') return settings.CASSANDRA_KEYSPACE_HASHTAGS;
  if (schemaKeyspace === 'flights') return settings.CASSANDRA_KEYSPACE_FLIGHTS;
  if (schemaKeyspace === 'community') return settings.CASSANDRA_KEYSPACE_COMMUNITY;
  throw new Error(`no keyspace setting for stream '${schemaKeyspace}'`);
}
