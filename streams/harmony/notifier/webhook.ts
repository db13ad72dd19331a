import type { DiscordMessage } from './discord.ts';

/** What to do after one webhook request. */
export type WebhookVerdict =
  | { action: 'done' }
  /**
   * Discord's rate limit: wait as long as it says, but never longer than the cap (asking again
   * then costs one more 429 at worst), then send the same message again.
   */
  | { action: 'wait'; ms: number; requestedMs: number }
  /** A failure that may pass (server error, network, a webhook being fixed): back off and retry. */
  | { action: 'retry'; reason: string }
  /** Discord refuses this message itself; sending it again cannot succeed. */
  | { action: 'reject'; reason: string };

/** Used when a 429 carries no readable retry_after: Discord's buckets reset within seconds. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1000;
const PERMANENT_STATUSES = new Set([400, 413, 422]);

/** retry_after comes in the JSON body (seconds, fractional); the Retry-After header is the fallback. */
export function retryAfterMs(body: string, retryAfterHeader: string | null): number {
  try {
    const seconds = (JSON.parse(body) as { retry_after?: unknown }).retry_after;
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) {
      return Math.ceil(seconds * 1000);
    }
  } catch {
    // Not JSON: the header may still say.
  }
  const headerSeconds = Number(retryAfterHeader);
  if (retryAfterHeader !== null && Number.isFinite(headerSeconds) && headerSeconds >= 0) {
    return Math.ceil(headerSeconds * 1000);
  }
  return DEFAULT_RATE_LIMIT_WAIT_MS;
}

export function judgeResponse(
  status: number,
  body: string,
  retryAfterHeader: string | null,
  maxWaitMs: number,
): WebhookVerdict {
  if (status >= 200 && status < 300) return { action: 'done' };
  if (status === 429) {
    const requestedMs = retryAfterMs(body, retryAfterHeader);
    return { action: 'wait', ms: Math.min(requestedMs, maxWaitMs), requestedMs };
  }
  const reason = `discord answered ${status}: ${body.slice(0, 300)}`;
  if (PERMANENT_STATUSES.has(status)) return { action: 'reject', reason };
  return { action: 'retry', reason };
}

export interface WebhookResponse {
  status: number;
  verdict: WebhookVerdict;
}

/** One POST of one message; network failures and timeouts become a 'retry' verdict with status 0. */
export async function postOnce(
  url: string,
  message: DiscordMessage,
  limits: { timeoutMs: number; maxWaitMs: number },
): Promise<WebhookResponse> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(limits.timeoutMs),
    });
    const body = await response.text();
    return {
      status: response.status,
      verdict: judgeResponse(response.status, body, response.headers.get('retry-after'), limits.maxWaitMs),
    };
  } catch (error) {
    return { status: 0, verdict: { action: 'retry', reason: `request failed: ${(error as Error).message}` } };
  }
}
