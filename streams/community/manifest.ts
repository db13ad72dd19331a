import { MINUTE_MS, SECOND_MS } from '../../common/time.ts';
import type { StreamManifest } from '../manifest.ts';
import { communityAlertRules } from './alerts.ts';
import { communityStream } from './batch.ts';
import { communityBenchCommand } from './bench.ts';
import { community as communityDashboard } from './dashboard.ts';
import { communityGenerator } from './generator.ts';
import { NAME, readCommunitySettings } from './settings.ts';
import { createCommunityTopology } from './topology.ts';

/** A community app's logins, posts and reactions; activity windows, moods, top posts. */
export const community: StreamManifest = {
  name: NAME,
  configure(env) {
    const read = readCommunitySettings(env);
    const topology = {
      graceMs: read.GRACE_SECONDS * SECOND_MS,
      postRetentionMs: read.POST_RETENTION_MINUTES * MINUTE_MS,
    };
    return {
      keyspace: read.keyspace,
      pipelines: {
        community: (registry, eventTimes) => createCommunityTopology(registry, topology, eventTimes),
      },
      batch: communityStream,
    };
  },
  generator: communityGenerator,
  dashboards: [communityDashboard],
  alertRules: communityAlertRules,
  benches: { [NAME]: communityBenchCommand },
};
