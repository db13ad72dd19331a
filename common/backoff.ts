import type { Logger } from 'pino';

/** Backoff bounds for a failing dependency: quick first retries, then at most one try every 30 s. */
export const BACKOFF_INITIAL_MS = 200;
export const BACKOFF_MAX_MS = 30_000;

export function backoffDelay(attempt: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** attempt);
}

export interface RetryHooks {
  /** Called after every failed attempt; `attempt` counts from 0. */
  onFailure(error: unknown, attempt: number): void;
  /** Called once when an attempt succeeds after failures. */
  onRecovered(attempts: number): void;
  /** Waits out a backoff delay; may throw to give up. */
  wait(ms: number): Promise<void>;
}

/** Retries an action with exponential backoff until it succeeds (or `wait` throws). */
export async function retryUntilDone<T>(action: () => Promise<T>, hooks: RetryHooks): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const result = await action();
      if (attempt > 0) hooks.onRecovered(attempt + 1);
      return result;
    } catch (error) {
      hooks.onFailure(error, attempt);
      await hooks.wait(backoffDelay(attempt));
    }
  }
}

/**
 * Retries one startup step (connecting, creating topics, applying a schema) until its service
 * answers: services started together come up in any order, so a first refusal is not an error.
 * Logs once when the step starts failing and once when it succeeds after all.
 */
export async function untilAvailable<T>(what: string, step: () => Promise<T>, log: Logger): Promise<T> {
  return retryUntilDone(step, {
    onFailure(error, attempt) {
      if (attempt === 0) log.warn({ err: error }, `${what}: not available yet; retrying with backoff`);
    },
    onRecovered(attempts) {
      log.info({ attempts }, `${what}: done`);
    },
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
}
