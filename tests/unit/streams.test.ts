/**
 * The stream-folder design held to account: every stream is a folder with one manifest in the
 * one list, and shared code names no stream, so adding one touches nothing outside its folder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, test, vi } from 'vitest';
import { acceptDeprecatedNames } from '../../common/cli.ts';
import { streamKeyspaceName } from '../../common/env.ts';
import { projectRoot } from '../../services/config.ts';
import { STREAMS } from '../../streams/index.ts';

const STREAMS_DIR = path.join(projectRoot, 'streams');

/** The source files of the project outside every stream's folder and the one list (tests and the plugin aside). */
function sharedSourceFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: projectRoot,
    encoding: 'utf8',
  }).split('\n');
  return tracked.filter(
    (file) =>
      /\.(ts|tsx|mjs|js)$/.test(file) &&
      !/^streams\/[^/]+\//.test(file) &&
      file !== 'streams/index.ts' &&
      !file.startsWith('tests/') &&
      !file.startsWith('plugins/') &&
      fs.existsSync(path.join(projectRoot, file)),
  );
}

describe('a stream is a folder', () => {
  test('every folder under streams/ is a stream of the one list, and every stream has its folder', () => {
    const folders = fs
      .readdirSync(STREAMS_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.sort()).toEqual(STREAMS.map(({ name }) => name).sort());
    for (const { name } of STREAMS) {
      for (const file of ['manifest.ts', 'schema.cql', 'schema.ts', 'settings.ts']) {
        expect(fs.existsSync(path.join(STREAMS_DIR, name, file)), `${name}/${file}`).toBe(true);
      }
    }
  });

  test('shared code names no stream: no stream name in a file outside its folder and the one list', () => {
    const files = sharedSourceFiles();
    expect(files).toEqual(expect.arrayContaining(['common/env.ts', 'processor/runtime/run-topology.ts']));
    const found: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(path.join(projectRoot, file), 'utf8');
      for (const { name } of STREAMS) {
        const word = new RegExp(`(?<![A-Za-z0-9])${name.replaceAll('-', '[-_]')}(?![A-Za-z0-9])`, 'i');
        const line = text.split('\n').findIndex((candidate) => word.test(candidate));
        if (line >= 0) found.push(`${file}:${line + 1} names ${name}`);
      }
    }
    expect(found).toEqual([]);
  });

  test('one name per stream: keyspace, dashboard uid, bench and generator subcommand', () => {
    const pipelines = new Set<string>();
    for (const stream of STREAMS) {
      expect(stream.name).toMatch(/^[a-z][a-z0-9-]*$/);
      const configured = stream.configure({});
      expect(configured.keyspace).toBe(stream.name.replaceAll('-', '_'));
      expect(stream.configure({ [streamKeyspaceName(stream.name)]: 'elsewhere' }).keyspace).toBe('elsewhere');
      expect(stream.dashboards[0]?.uid).toBe(stream.name);
      expect(configured.batch.name).toBe(stream.name);
      if (stream.benches !== undefined) expect(Object.keys(stream.benches)).toContain(stream.name);
      for (const pipeline of Object.keys(configured.pipelines)) {
        expect(pipelines.has(pipeline), `pipeline ${pipeline} in two streams`).toBe(false);
        pipelines.add(pipeline);
      }
      for (const rule of stream.alertRules) expect(rule.uid.startsWith(`${stream.name}-`)).toBe(true);
    }
  });
});

test('an earlier subcommand name still runs the command, and says once which name to use', async () => {
  const said: string[] = [];
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
    said.push(String(line));
    return true;
  });
  const ran: string[] = [];
  const program = new Command('generate').exitOverride();
  const command = program.command('hashtags').action(() => {
    ran.push('hashtags');
  });
  acceptDeprecatedNames(command, ['posts'], 'generate');
  try {
    await program.parseAsync(['posts'], { from: 'user' });
    await program.parseAsync(['hashtags'], { from: 'user' });
  } finally {
    write.mockRestore();
  }
  expect(ran).toEqual(['hashtags', 'hashtags']);
  expect(said).toEqual([
    "generate: 'posts' is deprecated: use 'hashtags' (the old name works for this release)\n",
  ]);
});
