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

/** Where Cassandra is: shared by every program that reads or writes it (each stream names its keyspace). */
export const cassandraSettings = {
  CASSANDRA_CONTACT_POINTS: listSetting('127.0.0.1:9042'),
  CASSANDRA_LOCAL_DC: z.string().default('datacenter1'),
};

/** A stream's name as environment names spell it: `weather-alerts` is WEATHER_ALERTS. */
const settingStem = (stream: string): string => stream.toUpperCase().replaceAll('-', '_');

/** A stream's setting as its environment name says it: weather's `GRACE_SECONDS` is WEATHER_GRACE_SECONDS. */
export const streamSettingName = (stream: string, key: string): string => `${settingStem(stream)}_${key}`;

/** The keyspace setting every stream has: CASSANDRA_KEYSPACE_<STREAM>, named after the stream unless set. */
export const streamKeyspaceName = (stream: string): string => `CASSANDRA_KEYSPACE_${settingStem(stream)}`;

const deprecationsSaid = new Set<string>();

/**
 * A stream's own settings, read by the one pattern: each key of `shape` from <STREAM>_<KEY>, and
 * its keyspace from CASSANDRA_KEYSPACE_<STREAM>. A name users may have set before a setting had
 * this pattern (`renamed`: old name to current) is still read when the current one is not set,
 * and said once per process on stderr, so that a deployment keeps working for a release.
 */
export function readStreamSettings<Shape extends z.ZodRawShape>(
  stream: string,
  shape: Shape,
  env: NodeJS.ProcessEnv,
  renamed: Readonly<Record<string, string>> = {},
): z.infer<z.ZodObject<Shape>> & { keyspace: string } {
  const withRenamed = { ...env };
  for (const [old, current] of Object.entries(renamed)) {
    if (env[old] === undefined) continue;
    const line =
      env[current] === undefined
        ? `${old} is deprecated: set ${current} instead (${old} is read for this release)`
        : `${old} is deprecated and ignored: ${current} is set`;
    if (env[current] === undefined) withRenamed[current] = env[old];
    if (!deprecationsSaid.has(line)) process.stderr.write(`${line}\n`);
    deprecationsSaid.add(line);
  }
  const keyspaceName = streamKeyspaceName(stream);
  const named = z.object({
    [keyspaceName]: keyspaceSetting(stream.replaceAll('-', '_')),
    ...Object.fromEntries(
      Object.entries(shape).map(([key, schema]) => [streamSettingName(stream, key), schema]),
    ),
  });
  // The names are made at run time, so the parsed object is typed back by its keys here, once.
  const parsed = parseEnv(named, withRenamed) as Record<string, unknown>;
  const settings = Object.fromEntries(
    Object.keys(shape).map((key) => [key, parsed[streamSettingName(stream, key)]]),
  ) as z.infer<z.ZodObject<Shape>>;
  return { ...settings, keyspace: parsed[keyspaceName] as string };
}
