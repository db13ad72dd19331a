import { Command, InvalidArgumentError } from 'commander';
import { runCli } from '../common/cli.ts';
import { benchApi } from './api.ts';
import { benchFlights } from '../streams/flights/bench.ts';
import { benchHarmony } from '../streams/harmony/bench.ts';
import { benchMarkets } from '../streams/markets/bench.ts';
import { benchCommunity } from '../streams/community/bench.ts';
import { benchTraffic } from '../streams/traffic/bench.ts';
import { benchHashtags } from '../streams/hashtags/bench.ts';
import { benchRestart } from './restart.ts';

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
    'traffic stream: processor drain of preloaded page views beside Kafka ConsumerPerformance, a kafkajs ' +
      'fetch-and-parse-only drain and Kafka Streams on the same topic, peak RSS, recovery after a kill -9 at ' +
      'full speed, event-to-store latency live',
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

program
  .command('api')
  .description(
    'query API: every endpoint at a fixed concurrency over many stored reports, beside GET /healthz ' +
      '(the server without a read), with p50/p99 latency and the batch service’s peak memory',
  )
  .option('--reports <n>', 'reports stored before the load (over 7 days)', positiveInteger, 1_000_000)
  .option('--concurrency <n>', 'requests in flight at once', positiveInteger, 50)
  .option('--requests <n>', 'requests per endpoint', positiveInteger, 1000)
  .exitOverride()
  .action(async (options: { reports: number; concurrency: number; requests: number }) => {
    await benchApi({
      reports: options.reports,
      concurrency: options.concurrency,
      requestsPerEndpoint: options.requests,
    });
  });

program
  .command('markets')
  .description(
    'markets stream: the bollinger and aroon pipelines draining preloaded bars, each in its own group, beside ' +
      'Kafka ConsumerPerformance on the same topic and the same indicator work in memory; peak RSS',
  )
  .option('--bars <n>', 'bars preloaded and drained at full speed', positiveInteger, 200_000)
  .exitOverride()
  .action(async (options: { bars: number }) => {
    await benchMarkets({ bars: options.bars });
  });

program
  .command('posts')
  .description(
    'hashtags stream: processor posts/s and hashtag updates/s (through the repartition topic) beside ' +
      'Kafka ConsumerPerformance on the same posts topic, peak RSS and state',
  )
  .option('--posts <n>', 'posts preloaded and drained at full speed', positiveInteger, 200_000)
  .exitOverride()
  .action(async (options: { posts: number }) => {
    await benchHashtags({ posts: options.posts });
  });

program
  .command('flights')
  .description(
    'flights stream: processor drain of preloaded flights beside Kafka ConsumerPerformance on the same topic and ' +
      'the topology alone in memory, peak RSS and state, recovery after a kill -9 half-way',
  )
  .option('--flights <n>', 'flights preloaded and drained at full speed', positiveInteger, 200_000)
  .exitOverride()
  .action(async (options: { flights: number }) => {
    await benchFlights({ flights: options.flights });
  });

program
  .command('community')
  .description(
    'community stream: processor drain of preloaded events beside Kafka ConsumerPerformance on the same topic, ' +
      'and the raw rate of the emotion step on the same texts',
  )
  .option('--events <n>', 'community events preloaded and drained at full speed', positiveInteger, 200_000)
  .exitOverride()
  .action(async (options: { events: number }) => {
    await benchCommunity({ events: options.events });
  });

program
  .command('restart')
  .description(
    'a restart with state: every pipeline in one processor and every generator at its default rate for ' +
      '--minutes, then kill -9 and a restart; seconds until each pipeline commits again and changelog records ' +
      'restored per pipeline, beside the client alone reading the same changelogs',
  )
  .option('--minutes <n>', 'how long the stack runs before the kill', positiveInteger, 10)
  .option(
    '--deadline <seconds>',
    'how long the restarted processor is watched before a pipeline counts as not back',
    positiveInteger,
    600,
  )
  .exitOverride()
  .action(async (options: { minutes: number; deadline: number }) => {
    await benchRestart({ minutes: options.minutes, deadlineSeconds: options.deadline });
  });

await runCli(program, 'bench');
