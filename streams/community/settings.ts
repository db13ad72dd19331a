import { integerSetting, readStreamSettings } from '../../common/env.ts';

/** The stream's one name, as its settings, keyspace, subcommands and dashboard spell it. */
export const NAME = 'community';

/** Community's own settings: each key is read as COMMUNITY_<KEY>, with its default and bounds. */
const settings = {
  GRACE_SECONDS: integerSetting(10, 0, 3600),
  POST_RETENTION_MINUTES: integerSetting(60, 1, 7 * 24 * 60),
};

/** Reads and checks Community's settings, its keyspace (CASSANDRA_KEYSPACE_COMMUNITY) included. */
export const readCommunitySettings = (env: NodeJS.ProcessEnv) => readStreamSettings(NAME, settings, env);
