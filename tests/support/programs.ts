import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../services/config.ts';

/**
 * The pids of the programs the integration tests start, kept outside the test workers: a worker
 * that vitest terminates never runs its afterAll, and its programs would live on holding their
 * ports, so the global teardown (and the next run's setup) stops whatever is listed here.
 */
const registry = path.join(projectRoot, '.data/run/programs-under-test.pids');

export function registerProgram(pid: number): void {
  fs.mkdirSync(path.dirname(registry), { recursive: true });
  fs.appendFileSync(registry, `${pid}\n`);
}

/** Kills every listed program still running from this checkout; returns how many it stopped. */
export function stopRegisteredPrograms(): number {
  if (!fs.existsSync(registry)) return 0;
  let stopped = 0;
  for (const pid of fs.readFileSync(registry, 'utf8').split('\n').filter(Boolean).map(Number)) {
    // A pid may have been reused since: only a process working in this checkout is ours.
    if (workingDirectory(pid) !== projectRoot) continue;
    try {
      process.kill(pid, 'SIGKILL');
      stopped += 1;
    } catch {
      // It exited between the check and the kill: nothing left to stop.
    }
  }
  fs.rmSync(registry, { force: true });
  return stopped;
}

function workingDirectory(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}
