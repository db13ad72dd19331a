/** Every stream the batch service serves, by name: the service knows streams only through this list. */
import type { BatchStream } from '../stream.ts';
import { harmonyStream } from './harmony.ts';
import { trafficStream } from './traffic.ts';

export const STREAMS: readonly BatchStream[] = [harmonyStream, trafficStream];
