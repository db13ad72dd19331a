import type { Registry } from 'prom-client';
import type { EventTimeRange } from '../../common/decode.ts';
import type { Topology } from '../dsl/topology.ts';
import { createFlightsTopology, type FlightsSettings } from '../../streams/flights/topology.ts';
import { createCommunityTopology, type CommunitySettings } from '../../streams/community/topology.ts';
import { createHarmonyTopology } from '../../streams/harmony/topology.ts';
import {
  createAroonTopology,
  createBollingerTopology,
  type MarketsSettings,
} from '../../streams/markets/topology.ts';
import { createTrafficTopology, type TrafficSettings } from '../../streams/traffic/topology.ts';
import { createHashtagsTopology, type HashtagsSettings } from '../../streams/hashtags/topology.ts';

/** What the streams' own settings are: each stream reads its part. */
export interface StreamSettings {
  /** The event times every stream accepts; others are dead letters. */
  eventTimes: EventTimeRange;
  traffic: TrafficSettings;
  markets: MarketsSettings;
  hashtags: HashtagsSettings;
  flights: FlightsSettings;
  community: CommunitySettings;
}

/** Every topology the processor can host, by pipeline name: a new stream is one entry here. */
export const TOPOLOGIES: Record<string, (registry: Registry, settings: StreamSettings) => Topology> = {
  harmony: (registry, settings) => createHarmonyTopology(registry, settings.eventTimes),
  traffic: (registry, settings) => createTrafficTopology(registry, settings.traffic, settings.eventTimes),
  bollinger: (registry, settings) => createBollingerTopology(registry, settings.markets, settings.eventTimes),
  aroon: (registry, settings) => createAroonTopology(registry, settings.markets, settings.eventTimes),
  hashtags: (registry, settings) => createHashtagsTopology(registry, settings.hashtags, settings.eventTimes),
  flights: (registry, settings) => createFlightsTopology(registry, settings.flights, settings.eventTimes),
  community: (registry, settings) =>
    createCommunityTopology(registry, settings.community, settings.eventTimes),
};
