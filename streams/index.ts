/**
 * Every stream of the stack, the one list the deployables fold over: adding a stream is adding
 * its folder and its line here (the README's "Adding a stream" walks through it).
 */
import { community } from './community/manifest.ts';
import { flights } from './flights/manifest.ts';
import { harmony } from './harmony/manifest.ts';
import { hashtags } from './hashtags/manifest.ts';
import type { StreamManifest } from './manifest.ts';
import { markets } from './markets/manifest.ts';
import { traffic } from './traffic/manifest.ts';

export const STREAMS: readonly StreamManifest[] = [harmony, traffic, markets, hashtags, flights, community];

/** Every stream's pipelines by name, as the processor's --pipelines takes them (settings do not change them). */
export const pipelineNames = (): string[] =>
  STREAMS.flatMap((stream) => Object.keys(stream.configure({}).pipelines));
