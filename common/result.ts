/**
 * The one outcome type of the project: a value, or a reason a person can read. Decoders,
 * parameter parsers and validators all answer with it, so a reason travels unchanged from the
 * check that found it to a dead letter or an HTTP 400.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(reason: string): Result<T> => ({ ok: false, reason });
