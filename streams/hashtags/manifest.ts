import { SECOND_MS } from '../../common/time.ts';
import type { StreamManifest } from '../manifest.ts';
import { hashtagsAlertRules } from './alerts.ts';
import { hashtagsStream } from './batch.ts';
import { hashtagsBenchCommand } from './bench.ts';
import { hashtags as hashtagsDashboard } from './dashboard.ts';
import { hashtagsGenerator } from './generator.ts';
import { NAME, readHashtagsSettings } from './settings.ts';
import { createHashtagsTopology } from './topology.ts';

/** Posts with hashtags and places; counts per minute and place, trends, top lists. */
export const hashtags: StreamManifest = {
  name: NAME,
  deprecatedNames: ['posts'],
  configure(env) {
    const read = readHashtagsSettings(env);
    const topology = { graceMs: read.GRACE_SECONDS * SECOND_MS };
    return {
      keyspace: read.keyspace,
      pipelines: {
        hashtags: (registry, eventTimes) => createHashtagsTopology(registry, topology, eventTimes),
      },
      batch: hashtagsStream,
    };
  },
  generator: hashtagsGenerator,
  dashboards: [hashtagsDashboard],
  alertRules: hashtagsAlertRules,
  benches: { [NAME]: hashtagsBenchCommand },
};
