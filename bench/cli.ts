import { Command } from 'commander';
import { acceptDeprecatedNames, runCli } from '../common/cli.ts';
import { STREAMS } from '../streams/index.ts';
import { benchRestart } from './restart.ts';
import { positiveInteger } from './support.ts';

const program = new Command('bench')
  .description('Benchmarks through the real services (start them first: npm run services -- up).')
  .exitOverride();

for (const stream of STREAMS) {
  for (const [name, define] of Object.entries(stream.benches ?? {})) {
    const command = program.command(name).exitOverride();
    if (name === stream.name) acceptDeprecatedNames(command, stream.deprecatedNames ?? [], 'bench');
    define(command);
  }
}

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
