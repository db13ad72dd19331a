import { fail, ok, type Result } from './result.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes as text, or a failure if they are not valid UTF-8: a lenient decoder would put
 * replacement characters in their place, and two ids differing only in invalid bytes would
 * then collide.
 */
export function strictUtf8(bytes: Buffer | string): Result<string> {
  if (typeof bytes === 'string') return ok(bytes);
  try {
    return ok(utf8.decode(bytes));
  } catch {
    return fail('invalid UTF-8 in message');
  }
}
