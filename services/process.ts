import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A background program the services script starts, tracks by pid file and stops. */
export interface ManagedService {
  name: string;
  address: string;
  /** One-line install hint for each executable this service needs. */
  prerequisites: Record<string, string>;
  /** Writes configuration, resolves jars, formats storage: everything before the first start. */
  prepare(): Promise<void>;
  command(): { executable: string; args: string[]; env?: NodeJS.ProcessEnv };
  /** Resolves true once the service answers its own protocol, not merely once its port is open. */
  probe(): Promise<boolean>;
  startupTimeoutMs: number;
}

export class ServiceError extends Error {}

export function requireExecutables(service: ManagedService): void {
  for (const [executable, hint] of Object.entries(service.prerequisites)) {
    const found = spawnSync('sh', ['-c', `command -v ${executable}`], { stdio: 'ignore' }).status === 0;
    if (!found) throw new ServiceError(`${service.name}: '${executable}' not found; ${hint}`);
  }
}

export function pidFile(dataDir: string, name: string): string {
  return path.join(dataDir, 'run', `${name}.pid`);
}

export function logFile(dataDir: string, name: string): string {
  return path.join(dataDir, 'logs', `${name}.log`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid recorded by `up`, if that process still runs. */
export function runningPid(dataDir: string, name: string): number | undefined {
  const file = pidFile(dataDir, name);
  if (!fs.existsSync(file)) return undefined;
  const pid = Number(fs.readFileSync(file, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid;
  fs.rmSync(file, { force: true });
  return undefined;
}

export function startDetached(dataDir: string, service: ManagedService): number {
  const { executable, args, env } = service.command();
  const log = logFile(dataDir, service.name);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.mkdirSync(path.dirname(pidFile(dataDir, service.name)), { recursive: true });
  const out = fs.openSync(log, 'a');
  // Its own process group, so `down` can stop the service together with anything it forked.
  const child = spawn(executable, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new ServiceError(`${service.name}: could not start ${executable}`);
  child.unref();
  fs.writeFileSync(pidFile(dataDir, service.name), String(child.pid));
  return child.pid;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitUntilAnswers(dataDir: string, service: ManagedService, pid: number): Promise<void> {
  const deadline = Date.now() + service.startupTimeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new ServiceError(`${service.name} exited during start-up.\n${tailOfLog(dataDir, service.name)}`);
    }
    if (await service.probe()) return;
    await sleep(500);
  }
  throw new ServiceError(
    `${service.name} did not answer on ${service.address} within ${service.startupTimeoutMs / 1000}s.\n` +
      tailOfLog(dataDir, service.name),
  );
}

export function tailOfLog(dataDir: string, name: string, lines = 30): string {
  const log = logFile(dataDir, name);
  if (!fs.existsSync(log)) return `(no log at ${log})`;
  const tail = fs.readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  return `--- last ${lines} lines of ${log} ---\n${tail}`;
}

/** SIGTERM to the whole process group, SIGKILL if it is still there after the grace period. */
export async function stopProcessGroup(pid: number, graceMs: number): Promise<void> {
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) break;
    await sleep(200);
  }
  signalGroup('SIGKILL');
  while (isAlive(pid)) await sleep(100);
}
