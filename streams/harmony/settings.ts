import { z } from 'zod';
import { integerSetting, readStreamSettings } from '../../common/env.ts';
import { LOW_SCORE_THRESHOLD } from './schema.ts';

/** The stream's one name, as its settings, keyspace, subcommands and dashboard spell it. */
export const NAME = 'harmony';

/** Harmony's own settings: each key is read as HARMONY_<KEY>, with its default and bounds. */
const settings = {
  // The processor keeps per-hour low scores below LOW_SCORE_THRESHOLD only: a higher threshold
  // would silently miss scores, so it is refused.
  LOW_SCORE_THRESHOLD: z.coerce.number().gt(0).max(LOW_SCORE_THRESHOLD).default(LOW_SCORE_THRESHOLD),
  TOP_SIZE: integerSetting(10, 1, 100),
  TOP_WINDOW_HOURS: integerSetting(24, 1, 24 * 31),
  BUCKET_SECONDS: integerSetting(60, 1, 3600).refine(
    (seconds) => 3600 % seconds === 0,
    'a number of seconds that divides an hour (60, 300, 900, ...)',
  ),
  LOOKBACK_MINUTES: integerSetting(60, 1, 24 * 60),
};

/** Names users may have set before the settings had one pattern; still read for a release. */
const RENAMED = {
  CASSANDRA_KEYSPACE: 'CASSANDRA_KEYSPACE_HARMONY',
  BATCH_LOW_SCORE_THRESHOLD: 'HARMONY_LOW_SCORE_THRESHOLD',
  BATCH_TOP_SIZE: 'HARMONY_TOP_SIZE',
  BATCH_TOP_WINDOW_HOURS: 'HARMONY_TOP_WINDOW_HOURS',
  BATCH_BUCKET_SECONDS: 'HARMONY_BUCKET_SECONDS',
  BATCH_LOOKBACK_MINUTES: 'HARMONY_LOOKBACK_MINUTES',
};

/** Reads and checks Harmony's settings, its keyspace (CASSANDRA_KEYSPACE_HARMONY) included. */
export const readHarmonySettings = (env: NodeJS.ProcessEnv) =>
  readStreamSettings(NAME, settings, env, RENAMED);
