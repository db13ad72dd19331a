/** Every stream the batch service serves, by name: the service knows streams only through this list. */
import type { BatchStream } from '../stream.ts';
import { flightsStream } from './flights.ts';
import { communityStream } from './community.ts';
import { harmonyStream } from './harmony.ts';
import { marketsStream } from './markets.ts';
import { trafficStream } from './traffic.ts';
import { hashtagsStream } from './hashtags.ts';

export const STREAMS: readonly BatchStream[] = [
  harmonyStream,
  trafficStream,
  marketsStream,
  hashtagsStream,
  flightsStream,
  communityStream,
];
