/**
 * The two markets pipelines through the real services: a preloaded market.bars drained by one
 * processor running both (each its own consumer group), beside Kafka's own drain of the same
 * topic and the same indicator work done in memory (the topologies in the test driver: no Kafka,
 * no Cassandra).
 */
import type { Command } from 'commander';
import type { ChildProcess } from 'node:child_process';
import { Registry } from 'prom-client';
import { bars } from './ticks.ts';
import { TopologyTestDriver } from '../../processor/dsl/driver.ts';
import { createAroonTopology, createBollingerTopology } from './topology.ts';
import { DEFAULT_MARKETS_GRACE_MS, MARKET_BARS_TOPIC, type Bar } from './schema.ts';
import {
  brokerDrainRate,
  connectServices,
  printTable,
  takenPerSecond,
  processorEnv,
  runGenerator,
  say,
  startProcessor,
  untilTaken,
  withCleanup,
  positiveInteger,
} from '../../bench/support.ts';

export interface MarketsBenchOptions {
  bars: number;
}

const SEED = 7;
const PORT = 19980;
const PIPELINES = ['bollinger', 'aroon'] as const;

/** Bars/s of each topology run in memory over the same bars, in micro-batches as the processor takes them. */
function inMemoryRates(count: number, start: Date): Record<(typeof PIPELINES)[number], number> {
  const source = bars({ seed: SEED, start, barIntervalMs: 1000 });
  const records: { key: string; value: string }[] = [];
  for (let index = 0; index < count; index += 1) {
    const bar = source.next().value as Bar;
    records.push({ key: bar.symbol, value: JSON.stringify(bar) });
  }
  const settings = { graceMs: DEFAULT_MARKETS_GRACE_MS };
  const rate = (driver: TopologyTestDriver) => {
    const began = performance.now();
    for (let first = 0; first < records.length; first += 5000) {
      driver.pipe(MARKET_BARS_TOPIC, records.slice(first, first + 5000));
      // The driver keeps every row; the processor writes and drops them.
      driver.rows.length = 0;
    }
    return count / ((performance.now() - began) / 1000);
  };
  return {
    bollinger: rate(
      new TopologyTestDriver(createBollingerTopology(new Registry(), settings), { [MARKET_BARS_TOPIC]: 1 }),
    ),
    aroon: rate(
      new TopologyTestDriver(createAroonTopology(new Registry(), settings), { [MARKET_BARS_TOPIC]: 1 }),
    ),
  };
}

export async function benchMarkets(options: MarketsBenchOptions): Promise<void> {
  const services = await connectServices();
  const run = `bench_${Date.now().toString(36)}`;
  const prefix = `${run}.`;
  const topic = `${prefix}market.bars`;
  const keyspace = `${run}_markets`;
  let processor: ChildProcess | undefined;
  await withCleanup(
    services,
    prefix,
    [keyspace],
    () => (processor === undefined ? [] : [processor]),
    async () => {
      const start = new Date(Math.floor((Date.now() - (options.bars / 40) * 1000 - 120_000) / 1000) * 1000);
      say(`preloading ${options.bars} bars into ${topic}`);
      const preloadSeconds = runGenerator('markets', topic, services.brokers, [
        ...[
          '--count',
          String(options.bars),
          '--burst',
          '--seed',
          String(SEED),
          '--start',
          start.toISOString(),
        ],
      ]);
      say("measuring Kafka's own drain of the same topic (ConsumerPerformance)");
      const raw = brokerDrainRate(services, topic, options.bars, `${prefix}consumer-performance`);
      say('the same indicator work in memory (topology test driver, one task)');
      const memory = inMemoryRates(options.bars, start);

      say('a fresh processor runs both pipelines over the topic, each in its own group');
      processor = startProcessor(
        services,
        processorEnv(
          PIPELINES.join(','),
          { prefix, group: `${prefix}drain`, port: PORT },
          { CASSANDRA_KEYSPACE_MARKETS: keyspace },
        ),
      );
      const drains = await Promise.all(
        PIPELINES.map((pipeline) => untilTaken(PORT, pipeline, topic, options.bars, processor!)),
      );
      const rows: [string, string][] = [
        ['generator (burst)', `${Math.round(options.bars / preloadSeconds)} bars/s`],
        ['raw drain: ConsumerPerformance, whole run', `${Math.round(raw.overall)} bars/s`],
        ['raw drain: ConsumerPerformance, fetching', `${Math.round(raw.fetching)} bars/s`],
      ];
      PIPELINES.forEach((pipeline, index) => {
        const drain = drains[index]!;
        const rate = takenPerSecond(drain, `the ${pipeline} drain`);
        rows.push(
          [`${pipeline}: processor drain (both pipelines at once)`, `${Math.round(rate)} bars/s`],
          [`${pipeline}: in memory, no I/O`, `${Math.round(memory[pipeline])} bars/s`],
          [`${pipeline}: processor / raw drain (whole run)`, (rate / raw.overall).toFixed(2)],
          [`${pipeline}: peak state entries (symbols held)`, `${drain.peak.entries}`],
        );
      });
      rows.push([
        'peak RSS (one process, both pipelines)',
        `${(Math.max(...drains.map((d) => d.peak.rss)) / 2 ** 20).toFixed(0)} MiB`,
      ]);
      printTable(`markets benchmark: ${options.bars} preloaded bars (40 symbols)`, rows, [
        'the two pipelines share one process and its two cores with Kafka and Cassandra: each rate is measured while the other runs',
        'in memory: decode, place, compute and emit every row and changelog record, as the processor does, without writing them',
      ]);
    },
  );
}

/** `bench markets`: its options, and the run. */
export function marketsBenchCommand(command: Command): void {
  command
    .description(
      'markets stream: the bollinger and aroon pipelines draining preloaded bars, each in its own group, beside ' +
        'Kafka ConsumerPerformance on the same topic and the same indicator work in memory; peak RSS',
    )
    .option('--bars <n>', 'bars preloaded and drained at full speed', positiveInteger, 200_000)
    .exitOverride()
    .action(async (options: { bars: number }) => {
      await benchMarkets({ bars: options.bars });
    });
}
