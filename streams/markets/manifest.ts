import { SECOND_MS } from '../../common/time.ts';
import type { StreamManifest } from '../manifest.ts';
import { marketsAlertRules } from './alerts.ts';
import { marketsStream } from './batch.ts';
import { marketsBenchCommand } from './bench.ts';
import { markets as marketsDashboard } from './dashboard.ts';
import { marketsGenerator } from './generator.ts';
import { NAME, readMarketsSettings } from './settings.ts';
import { createAroonTopology, createBollingerTopology } from './topology.ts';

/** OHLCV bars; Bollinger bands and Aroon, each its own pipeline over the same topic. */
export const markets: StreamManifest = {
  name: NAME,
  deprecatedNames: ['ticks'],
  configure(env) {
    const read = readMarketsSettings(env);
    const topology = { graceMs: read.GRACE_SECONDS * SECOND_MS };
    return {
      keyspace: read.keyspace,
      pipelines: {
        bollinger: (registry, eventTimes) => createBollingerTopology(registry, topology, eventTimes),
        aroon: (registry, eventTimes) => createAroonTopology(registry, topology, eventTimes),
      },
      batch: marketsStream,
    };
  },
  generator: marketsGenerator,
  dashboards: [marketsDashboard],
  alertRules: marketsAlertRules,
  benches: { [NAME]: marketsBenchCommand },
};
