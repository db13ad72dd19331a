import { integerSetting, readStreamSettings } from '../../common/env.ts';

/** The stream's one name, as its settings, keyspace, subcommands and dashboard spell it. */
export const NAME = 'flights';

/** Flights's own settings: each key is read as FLIGHTS_<KEY>, with its default and bounds. */
const settings = { GRACE_SECONDS: integerSetting(7200, 0, 172_800) };

/** Reads and checks Flights's settings, its keyspace (CASSANDRA_KEYSPACE_FLIGHTS) included. */
export const readFlightsSettings = (env: NodeJS.ProcessEnv) => readStreamSettings(NAME, settings, env);
