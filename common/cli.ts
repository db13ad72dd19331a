import { CommanderError, type Command } from 'commander';

export const BAD_USAGE_EXIT_CODE = 2;

/** A bad command-line option or setting; its message is the one line the user sees. */
export class UsageError extends Error {}

/**
 * Runs a commander program with the exit codes every CLI here keeps: 0 when done or when help
 * was asked for, 2 and one line for bad usage, 1 and one line for any other failure.
 * A program that keeps running after its action (a scheduler) passes `exitWhenDone: false`.
 */
export async function runCli(program: Command, prefix: string, { exitWhenDone = true } = {}): Promise<void> {
  try {
    await program.parseAsync();
    if (exitWhenDone) process.exit(0);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message or the help.
      const shownOnRequest = error.code === 'commander.helpDisplayed' || error.code === 'commander.version';
      process.exit(shownOnRequest ? 0 : BAD_USAGE_EXIT_CODE);
    }
    exitWithMessage(prefix, error instanceof UsageError ? BAD_USAGE_EXIT_CODE : 1)(error);
  }
}

/**
 * For a long-running program that cannot start (a bad setting, a port in use): one line naming
 * what is wrong, then the exit code, instead of a stack trace.
 */
export function exitWithMessage(program: string, exitCode: number): (error: unknown) => never {
  return (error) => {
    process.stderr.write(`${program}: ${(error as Error).message}\n`);
    process.exit(exitCode);
  };
}

/**
 * Keeps a subcommand's earlier names working for a release: each is an alias, and using one
 * says once on stderr which name to use instead.
 */
export function acceptDeprecatedNames(command: Command, names: readonly string[], program: string): void {
  for (const name of names) command.alias(name);
  command.hook('preAction', () => {
    const used = command.parent?.args[0];
    if (used !== undefined && names.includes(used)) {
      process.stderr.write(
        `${program}: '${used}' is deprecated: use '${command.name()}' (the old name works for this release)\n`,
      );
    }
  });
}
