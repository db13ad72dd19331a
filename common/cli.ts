import { CommanderError, type Command } from 'commander';

const BAD_USAGE_EXIT_CODE = 2;

/** A bad command-line option or setting; its message is the one line the user sees. */
export class UsageError extends Error {}

/**
 * Runs a commander program with the exit codes every CLI here keeps: 0 when done (or the code its
 * action set in `process.exitCode`) or when help was asked for, 2 and one line for bad usage,
 * 1 and one line for any other failure, such as a port in use.
 * A program that keeps running after its action (a service) passes `exitWhenDone: false`.
 */
export async function runCli(program: Command, prefix: string, { exitWhenDone = true } = {}): Promise<void> {
  try {
    await program.parseAsync();
    if (exitWhenDone) process.exit();
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message or the help; its exit code is 0 only for
      // output asked for (--help, the help command, --version).
      process.exit(error.exitCode === 0 ? 0 : BAD_USAGE_EXIT_CODE);
    }
    process.stderr.write(`${prefix}: ${(error as Error).message}\n`);
    process.exit(error instanceof UsageError ? BAD_USAGE_EXIT_CODE : 1);
  }
}

/**
 * A program's settings from `load`: a setting it refuses is bad usage, so the reason is the one
 * line the user sees and the exit code is 2.
 */
export function loadSettings<Settings>(load: () => Settings): Settings {
  try {
    return load();
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
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
