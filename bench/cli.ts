import { Command, InvalidArgumentError } from 'commander';
import { runCli } from '../common/cli.ts';
import { benchHarmony } from './harmony.ts';

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
  .description('harmony stream: processor throughput, event-to-store latency, peak RSS, broker drain rate')
  .option('--reports <n>', 'reports preloaded and drained at full speed', positiveInteger, 50_000)
  .option('--live-rate <n>', 'reports per second in the paced live run', positiveInteger, 1000)
  .option('--live-seconds <n>', 'length of the live run in seconds', positiveInteger, 15)
  .exitOverride()
  .action(async (options: { reports: number; liveRate: number; liveSeconds: number }) => {
    await benchHarmony({
      reports: options.reports,
      liveRatePerSecond: options.liveRate,
      liveSeconds: options.liveSeconds,
    });
  });

await runCli(program, 'bench');
