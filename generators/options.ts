import { UsageError } from '../common/cli.ts';

/** A bad command-line option; its message is the one line the user sees. */
export class OptionError extends UsageError {}

const RATE_UNITS_IN_SECONDS: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600 };
const DURATION_UNITS_IN_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** '100/min' or '5000/s' to events per second. */
export function parseRate(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)\s*$/.exec(text);
  const perUnit = match ? RATE_UNITS_IN_SECONDS[match[2]!] : undefined;
  const amount = match ? Number(match[1]) : 0;
  if (perUnit === undefined || !(amount > 0)) {
    throw new OptionError(`--rate must look like 100/min or 5000/s, got '${text}'`);
  }
  return amount / perUnit;
}

/** '30s', '5m', '1h' or '500ms' to milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(text);
  const milliseconds = match ? Number(match[1]) * DURATION_UNITS_IN_MS[match[2]!]! : 0;
  if (!(milliseconds > 0)) throw new OptionError(`--duration must look like 30s, 5m or 1h, got '${text}'`);
  return milliseconds;
}

export function parsePositiveInteger(option: string, text: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new OptionError(`${option} must be a positive integer, got '${text}'`);
  }
  return value;
}

export function parseSeed(text: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || value > 0xffff_ffff) {
    throw new OptionError(`--seed must be an integer from 0 to 4294967295, got '${text}'`);
  }
  return value;
}

/** An ISO-8601 time with a timezone, so the same command gives the same event times everywhere. */
export function parseStart(text: string): Date {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text.trim());
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text.trim()) || !hasZone || Number.isNaN(time.getTime())) {
    throw new OptionError(
      `--start must be an ISO-8601 time with a timezone like 2026-01-01T00:00:00Z, got '${text}'`,
    );
  }
  return time;
}

export function parseBrokers(text: string): string[] {
  const brokers = text.split(',').map((broker) => broker.trim());
  const bad = brokers.find((broker) => !/^[\w.-]+:\d{1,5}$/.test(broker));
  if (bad !== undefined) throw new OptionError(`--brokers must be host:port[,host:port...], got '${text}'`);
  return brokers;
}

/** Options as commander hands them over: text, or undefined when not given. */
export interface RawRunOptions {
  rate?: string;
  count?: string;
  duration?: string;
  seed?: string;
  start?: string;
  out?: string;
  brokers?: string;
  topic?: string;
  burst?: boolean;
}

export interface RunOptions {
  ratePerSecond: number;
  /** How many events to send; undefined means until interrupted. */
  count: number | undefined;
  seed: number;
  start: Date;
  out: string | undefined;
  brokers: string[];
  topic: string;
  /** Send without pacing; event times are still spaced at the rate. */
  burst: boolean;
}

export interface RunDefaults {
  rate: string;
  topic: string;
  brokers: string;
  seed: string;
  now: Date;
}

export function resolveRunOptions(raw: RawRunOptions, defaults: RunDefaults): RunOptions {
  if (raw.count !== undefined && raw.duration !== undefined) {
    throw new OptionError('give either --count or --duration, not both');
  }
  const ratePerSecond = parseRate(raw.rate ?? defaults.rate);
  const durationMs = raw.duration === undefined ? undefined : parseDuration(raw.duration);
  const count =
    raw.count !== undefined
      ? parsePositiveInteger('--count', raw.count)
      : durationMs !== undefined
        ? Math.max(1, Math.round((durationMs / 1000) * ratePerSecond))
        : undefined;
  return {
    ratePerSecond,
    count,
    seed: parseSeed(raw.seed ?? defaults.seed),
    start: raw.start === undefined ? defaults.now : parseStart(raw.start),
    out: raw.out,
    brokers: parseBrokers(raw.brokers ?? defaults.brokers),
    topic: raw.topic ?? defaults.topic,
    burst: raw.burst ?? false,
  };
}
