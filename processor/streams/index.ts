import type { Registry } from 'prom-client';
import type { Topology } from '../dsl/topology.ts';
import { createHarmonyTopology } from './harmony.ts';

/** Every topology the processor can host, by pipeline name: a new stream is one entry here. */
export const TOPOLOGIES: Record<string, (registry: Registry) => Topology> = {
  harmony: createHarmonyTopology,
};
