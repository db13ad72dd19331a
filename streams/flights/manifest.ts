import { SECOND_MS } from '../../common/time.ts';
import type { StreamManifest } from '../manifest.ts';
import { flightsAlertRules } from './alerts.ts';
import { flightsStream } from './batch.ts';
import { flightsBenchCommand } from './bench.ts';
import { flights as flightsDashboard } from './dashboard.ts';
import { flightsGenerator } from './generator.ts';
import { NAME, readFlightsSettings } from './settings.ts';
import { createFlightsTopology } from './topology.ts';

/** Flight records; each airline's and route's day, delays and on-time shares. */
export const flights: StreamManifest = {
  name: NAME,
  configure(env) {
    const read = readFlightsSettings(env);
    const topology = { graceMs: read.GRACE_SECONDS * SECOND_MS };
    return {
      keyspace: read.keyspace,
      pipelines: { flights: (registry, eventTimes) => createFlightsTopology(registry, topology, eventTimes) },
      batch: flightsStream,
    };
  },
  generator: flightsGenerator,
  dashboards: [flightsDashboard],
  alertRules: flightsAlertRules,
  benches: { [NAME]: flightsBenchCommand },
};
