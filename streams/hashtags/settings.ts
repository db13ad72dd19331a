import { integerSetting, readStreamSettings } from '../../common/env.ts';

/** The stream's one name, as its settings, keyspace, subcommands and dashboard spell it. */
export const NAME = 'hashtags';

/** Hashtags's own settings: each key is read as HASHTAGS_<KEY>, with its default and bounds. */
const settings = { GRACE_SECONDS: integerSetting(10, 0, 3600) };

/** Reads and checks Hashtags's settings, its keyspace (CASSANDRA_KEYSPACE_HASHTAGS) included. */
export const readHashtagsSettings = (env: NodeJS.ProcessEnv) => readStreamSettings(NAME, settings, env);
