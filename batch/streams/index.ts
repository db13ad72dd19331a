/** Every stream the batch service serves, by name: the service knows streams only through this list. */
import type { BatchStream } from '../stream.ts';
import { flightsStream } from '../../streams/flights/batch.ts';
import { communityStream } from '../../streams/community/batch.ts';
import { harmonyStream } from '../../streams/harmony/batch.ts';
import { marketsStream } from '../../streams/markets/batch.ts';
import { trafficStream } from '../../streams/traffic/batch.ts';
import { hashtagsStream } from '../../streams/hashtags/batch.ts';

export const STREAMS: readonly BatchStream[] = [
  harmonyStream,
  trafficStream,
  marketsStream,
  hashtagsStream,
  flightsStream,
  communityStream,
];
