import { describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../../common/time.ts';
import { barDays, barsAnswer, parseBarsParams, parseSymbolsParams } from '../api.ts';

const NOW = new Date('2026-03-02T15:00:00Z');

describe('GET /api/markets/:symbol/bars', () => {
  it('from/to default to the last 30 minutes; ISO or epoch ms; at most 24 h', () => {
    expect(parseBarsParams('BRK.B', {}, NOW)).toEqual({
      ok: true,
      value: { symbol: 'BRK.B', from: new Date(NOW.getTime() - 30 * MINUTE_MS), to: NOW },
    });
    expect(parseBarsParams('AAPL', { from: '2026-03-02T14:00:00Z', to: String(NOW.getTime()) }, NOW)).toEqual(
      {
        ok: true,
        value: { symbol: 'AAPL', from: new Date('2026-03-02T14:00:00Z'), to: NOW },
      },
    );
    expect(parseBarsParams('AAPL', { from: '0', to: '86400001' }, NOW)).toMatchObject({
      ok: false,
      reason: 'from/to: the range may span at most 24 hours',
    });
    expect(parseBarsParams('AAPL; DROP', {}, NOW)).toMatchObject({ ok: false, reason: /^symbol: / });
  });

  it('reads the day partitions the range touches', () => {
    expect(barDays(new Date('2026-03-01T23:50:00Z'), new Date('2026-03-02T00:10:00Z'))).toEqual([
      new Date('2026-03-01T00:00:00Z'),
      new Date('2026-03-02T00:00:00Z'),
    ]);
  });

  it('bars oldest first; an indicator not written yet (window not full, pipeline behind) is null', () => {
    const answer = barsAnswer([
      {
        bar_start: new Date('2026-03-02T14:30:01Z'),
        open: 10,
        high: 11,
        low: 9,
        close: 10.5,
        adj_close: 10.4,
        volume: 5,
        aroon_up: 40,
        aroon_down: 100,
        aroon_oscillator: -60,
      },
      {
        bar_start: new Date('2026-03-02T14:30:00Z'),
        open: 10,
        high: 11,
        low: 9,
        close: 10,
        adj_close: 9.9,
        volume: 7,
      },
    ]);
    expect(answer.map((bar) => bar.bar_start)).toEqual([
      '2026-03-02T14:30:00.000Z',
      '2026-03-02T14:30:01.000Z',
    ]);
    expect(answer[0]).toMatchObject({ close: 10, bollinger_middle: null, aroon_up: null });
    expect(answer[1]).toMatchObject({ close: 10.5, bollinger_upper: null, aroon_oscillator: -60 });
  });

  it('the symbol list takes no parameters', () => {
    expect(parseSymbolsParams({})).toEqual({ ok: true, value: {} });
    expect(parseSymbolsParams({ limit: '5' })).toMatchObject({
      ok: false,
      reason: /^limit: unknown parameter/,
    });
  });
});
