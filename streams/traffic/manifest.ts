import { SECOND_MS } from '../../common/time.ts';
import type { StreamManifest } from '../manifest.ts';
import { trafficAlertRules } from './alerts.ts';
import { trafficStream } from './batch.ts';
import { trafficBenchCommand } from './bench.ts';
import { traffic as trafficDashboard } from './dashboard.ts';
import { trafficGenerator } from './generator.ts';
import { NAME, readTrafficSettings } from './settings.ts';
import { createTrafficTopology } from './topology.ts';

/** Page views of a business catalogue; per-minute counts, surges and top lists. */
export const traffic: StreamManifest = {
  name: NAME,
  configure(env) {
    const read = readTrafficSettings(env);
    const topology = { graceMs: read.GRACE_SECONDS * SECOND_MS };
    return {
      keyspace: read.keyspace,
      pipelines: { traffic: (registry, eventTimes) => createTrafficTopology(registry, topology, eventTimes) },
      batch: trafficStream,
    };
  },
  generator: trafficGenerator,
  dashboards: [trafficDashboard],
  alertRules: trafficAlertRules,
  benches: { [NAME]: trafficBenchCommand },
};
