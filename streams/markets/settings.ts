import { integerSetting, readStreamSettings } from '../../common/env.ts';

/** The stream's one name, as its settings, keyspace, subcommands and dashboard spell it. */
export const NAME = 'markets';

/** Markets's own settings: each key is read as MARKETS_<KEY>, with its default and bounds. */
const settings = { GRACE_SECONDS: integerSetting(30, 0, 86_400) };

/** Reads and checks Markets's settings, its keyspace (CASSANDRA_KEYSPACE_MARKETS) included. */
export const readMarketsSettings = (env: NodeJS.ProcessEnv) => readStreamSettings(NAME, settings, env);
