/**
 * The runtime's policy for a sink that fails (Cassandra, or Kafka while claiming or committing):
 * the partition waits, retrying with backoff until the write is accepted, counted and logged
 * once each way, and gives up only when the processor is stopping.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { retryUntilDone } from '../../common/backoff.ts';
import type { ProcessorMetrics } from '../metrics.ts';

type Sink = 'cassandra' | 'kafka';

export class SinkRetry {
  constructor(
    private readonly pipeline: string,
    private readonly metrics: ProcessorMetrics,
    private readonly log: Logger,
    /** The processor's stop (`RuntimeDeps.stop`): a write still being retried gives up then. */
    private readonly stop: AbortSignal,
  ) {}

  /** Retries a sink write until it is accepted, pausing this partition meanwhile. */
  untilWritten<T>(
    sink: Sink,
    write: () => Promise<T>,
    chunk: { topic: string; partition: number; firstOffset: string },
  ): Promise<T> {
    const { pipeline, metrics, log, stop } = this;
    return retryUntilDone(write, {
      onFailure(error, attempt) {
        metrics.writeErrors.inc({ pipeline, sink });
        if (attempt > 0) return;
        metrics.paused.set({ pipeline }, 1);
        log.warn(
          {
            pipeline,
            sink,
            topic: chunk.topic,
            partition: chunk.partition,
            offset: chunk.firstOffset,
            err: error,
          },
          `${sink} write for ${chunk.topic}[${chunk.partition}] from offset ${chunk.firstOffset} failed; pausing this partition and retrying with backoff`,
        );
      },
      onRecovered(attempts) {
        metrics.paused.set({ pipeline }, 0);
        log.info({ pipeline, sink, attempts }, `${sink} accepts writes again; resuming`);
      },
      async wait(ms) {
        stop.throwIfAborted();
        await sleep(ms, undefined, { signal: stop });
      },
    });
  }
}
