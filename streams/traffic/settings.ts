import { integerSetting, readStreamSettings } from '../../common/env.ts';

/** The stream's one name, as its settings, keyspace, subcommands and dashboard spell it. */
export const NAME = 'traffic';

/** Traffic's own settings: each key is read as TRAFFIC_<KEY>, with its default and bounds. */
const settings = { GRACE_SECONDS: integerSetting(10, 0, 3600) };

/** Reads and checks Traffic's settings, its keyspace (CASSANDRA_KEYSPACE_TRAFFIC) included. */
export const readTrafficSettings = (env: NodeJS.ProcessEnv) => readStreamSettings(NAME, settings, env);
