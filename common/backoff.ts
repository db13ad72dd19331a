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
  /** Waits out a backoff delay; may keep a consumer's session alive, may throw to give up. */
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
