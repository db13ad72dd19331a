import type { Registry } from 'prom-client';
import type { Topology } from '../dsl/topology.ts';
import { createHarmonyTopology } from './harmony.ts';
import { createTrafficTopology, type TrafficSettings } from './traffic.ts';

/** What the streams' own settings are: each stream reads its part. */
export interface StreamSettings {
  traffic: TrafficSettings;
}

/** Every topology the processor can host, by pipeline name: a new stream is one entry here. */
export const TOPOLOGIES: Record<string, (registry: Registry, settings: StreamSettings) => Topology> = {
  harmony: (registry) => createHarmonyTopology(registry),
  traffic: (registry, settings) => createTrafficTopology(registry, settings.traffic),
};
