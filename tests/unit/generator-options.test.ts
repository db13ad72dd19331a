import { describe, expect, it } from 'vitest';
import {
  OptionError,
  parseBrokers,
  parseDuration,
  parsePositiveInteger,
  parseRate,
  parseSeed,
  parseStart,
  resolveRunOptions,
} from '../../generators/options.ts';

const DEFAULTS = {
  rate: '100/min',
  topic: 'drone.reports',
  brokers: '127.0.0.1:9092',
  seed: '1',
  now: new Date('2026-01-01T00:00:00Z'),
};

describe('parseRate', () => {
  it('reads events per second, minute or hour', () => {
    expect(parseRate('100/min')).toBeCloseTo(100 / 60);
    expect(parseRate('5000/s')).toBe(5000);
    expect(parseRate('7200/h')).toBe(2);
    expect(parseRate('2.5/sec')).toBe(2.5);
  });

  it('rejects anything else with the expected form in the message', () => {
    expect(() => parseRate('abc')).toThrow("--rate must look like 100/min or 5000/s, got 'abc'");
    for (const bad of ['0/s', '100', '100/day', '-5/s', ''])
      expect(() => parseRate(bad)).toThrow(OptionError);
  });
});

describe('parseDuration', () => {
  it('reads milliseconds, seconds, minutes and hours', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
  });

  it('rejects durations without a unit, zero or unknown units', () => {
    for (const bad of ['30', '0s', '5x', 'soon'])
      expect(() => parseDuration(bad)).toThrow(/--duration must look like/);
  });
});

describe('small option parsers', () => {
  it('accepts positive integers only', () => {
    expect(parsePositiveInteger('--count', '200')).toBe(200);
    for (const bad of ['0', '-1', '1.5', 'x', '']) {
      expect(() => parsePositiveInteger('--count', bad)).toThrow(
        `--count must be a positive integer, got '${bad}'`,
      );
    }
  });

  it('accepts 32-bit unsigned seeds', () => {
    expect(parseSeed('0')).toBe(0);
    expect(parseSeed('4294967295')).toBe(4294967295);
    for (const bad of ['-1', '4294967296', 'abc']) expect(() => parseSeed(bad)).toThrow(/--seed/);
  });

  it('wants a start time with a timezone', () => {
    expect(parseStart('2026-01-01T00:00:00Z').toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseStart('2026-01-01T01:00:00+01:00').toISOString()).toBe('2026-01-01T00:00:00.000Z');
    for (const bad of ['2026-01-01', '2026-01-01T00:00:00', 'yesterday'])
      expect(() => parseStart(bad)).toThrow(/--start/);
  });

  it('splits brokers into host:port pairs', () => {
    expect(parseBrokers('a:9092, b.example:9093')).toEqual(['a:9092', 'b.example:9093']);
    expect(() => parseBrokers('nohost')).toThrow(/--brokers/);
  });
});

describe('resolveRunOptions', () => {
  it('falls back to the defaults and runs until stopped without a count or duration', () => {
    expect(resolveRunOptions({}, DEFAULTS)).toEqual({
      ratePerSecond: 100 / 60,
      count: undefined,
      seed: 1,
      start: DEFAULTS.now,
      out: undefined,
      brokers: ['127.0.0.1:9092'],
      topic: 'drone.reports',
      burst: false,
    });
  });

  it('turns a duration into the number of events the rate gives in it', () => {
    expect(resolveRunOptions({ duration: '30s', rate: '1000/s' }, DEFAULTS).count).toBe(30_000);
    expect(resolveRunOptions({ duration: '5m' }, DEFAULTS).count).toBe(500);
  });

  it('takes an explicit count, seed, start, file, brokers, topic and burst', () => {
    const options = resolveRunOptions(
      {
        count: '200',
        rate: '1000/s',
        seed: '7',
        start: '2026-05-01T00:00:00Z',
        out: '/tmp/f.jsonl',
        brokers: 'k1:9092,k2:9092',
        topic: 'scratch',
        burst: true,
      },
      DEFAULTS,
    );
    expect(options).toEqual({
      ratePerSecond: 1000,
      count: 200,
      seed: 7,
      start: new Date('2026-05-01T00:00:00Z'),
      out: '/tmp/f.jsonl',
      brokers: ['k1:9092', 'k2:9092'],
      topic: 'scratch',
      burst: true,
    });
  });

  it('refuses a count and a duration together', () => {
    expect(() => resolveRunOptions({ count: '5', duration: '5s' }, DEFAULTS)).toThrow(
      'give either --count or --duration, not both',
    );
  });
});
