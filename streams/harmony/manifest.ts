import { HOUR_MS, MINUTE_MS, SECOND_MS } from '../../common/time.ts';
import type { StreamManifest } from '../manifest.ts';
import { harmonyAlertRules } from './alerts.ts';
import { apiBenchCommand } from './api-bench.ts';
import { harmonyBatch } from './batch.ts';
import { harmonyBenchCommand } from './bench.ts';
import { harmonyOverview } from './dashboard.ts';
import { harmonyGenerator } from './generator.ts';
import { storedData } from './stored-data-dashboard.ts';
import { NAME, readHarmonySettings } from './settings.ts';
import { createHarmonyTopology } from './topology.ts';

/** Drone reports in; stored facts, distress alerts and batch statistics out. */
export const harmony: StreamManifest = {
  name: NAME,
  deprecatedNames: ['drones'],
  configure(env) {
    const read = readHarmonySettings(env);
    return {
      keyspace: read.keyspace,
      pipelines: { harmony: createHarmonyTopology },
      batch: harmonyBatch({
        lowScoreThreshold: read.LOW_SCORE_THRESHOLD,
        topSize: read.TOP_SIZE,
        topWindowMs: read.TOP_WINDOW_HOURS * HOUR_MS,
        bucketMs: read.BUCKET_SECONDS * SECOND_MS,
        lookbackMs: read.LOOKBACK_MINUTES * MINUTE_MS,
      }),
    };
  },
  generator: harmonyGenerator,
  dashboards: [harmonyOverview, storedData],
  alertRules: harmonyAlertRules,
  programs: [{ name: 'notifier', entry: 'streams/harmony/notifier/main.ts' }],
  benches: { [NAME]: harmonyBenchCommand, api: apiBenchCommand },
};
