import { Command, InvalidArgumentError } from 'commander';
import { runCli } from '../common/cli.ts';
import { benchHarmony } from './harmony.ts';
import { benchTraffic } from './traffic.ts';

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1) throw new InvalidArgumentError(`a positive integer, got '${text}'`);
  return value;
}

const program = new Command('bench')
  .description('Benchmarks through the real services (start them first: npm run services -- up).')
  .exitOverride();

program
  .command('harmony')
  .description(
    'harmony stream: processor throughput against the raw Cassandra write rate of the same rows, ' +
      'event-to-store latency, peak RSS, broker drain rate',
  )
  .option(
    '--reports <n>',
    'reports preloaded and drained at full speed (and written raw)',
    positiveInteger,
    50_000,
  )
  .option('--live-rate <n>', 'reports per second in the paced live run', positiveInteger, 1000)
  .option('--live-seconds <n>', 'length of the live run in seconds', positiveInteger, 15)
  .option(
    '--raw-chunk <n>',
    "reports per upsert call in the raw write (default: the processor's micro-batch, PROCESSOR_BATCH_MAX_RECORDS)",
    positiveInteger,
  )
  .option(
    '--raw-only',
    'only the raw Cassandra write of the reports rows (CassandraStore.upsert into a fresh keyspace): ' +
      'no Kafka, no processor',
  )
  .exitOverride()
  .action(
    async (options: {
      reports: number;
      liveRate: number;
      liveSeconds: number;
      rawChunk?: number;
      rawOnly?: boolean;
    }) => {
      await benchHarmony({
        reports: options.reports,
        liveRatePerSecond: options.liveRate,
        liveSeconds: options.liveSeconds,
        ...(options.rawChunk !== undefined && { rawChunk: options.rawChunk }),
        rawOnly: options.rawOnly === true,
      });
    },
  );

program
  .command('traffic')
  .description(
    'traffic stream: processor drain of preloaded page views beside Kafka ConsumerPerformance on the same topic, ' +
      'peak RSS, recovery after a kill -9 at full speed, event-to-store latency live',
  )
  .option('--events <n>', 'page views preloaded and drained at full speed', positiveInteger, 2_000_000)
  .option('--live-rate <n>', 'page views per second in the paced live run', positiveInteger, 4000)
  .option(
    '--live-seconds <n>',
    'length of the live run in seconds (minutes close after their end plus the grace)',
    positiveInteger,
    150,
  )
  .exitOverride()
  .action(async (options: { events: number; liveRate: number; liveSeconds: number }) => {
    await benchTraffic({
      events: options.events,
      liveRatePerSecond: options.liveRate,
      liveSeconds: options.liveSeconds,
    });
  });

await runCli(program, 'bench');
