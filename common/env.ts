import { z } from 'zod';

/** An integer setting within bounds, with its default. */
export const integerSetting = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

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

/** Where Cassandra is and which keyspace: shared by every program that reads or writes it. */
export const cassandraSettings = {
  CASSANDRA_CONTACT_POINTS: listSetting('127.0.0.1:9042'),
  CASSANDRA_LOCAL_DC: z.string().default('datacenter1'),
  CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,47}$/, 'a lowercase CQL identifier')
    .default('harmony'),
};
