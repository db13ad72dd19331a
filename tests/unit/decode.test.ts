import { describe, expect, it } from 'vitest';
import { parseDroneReport } from '../../streams/harmony/schema.ts';
import { decodeObject, isoTime, text } from '../../common/decode.ts';
import { parsePageView } from '../../streams/traffic/schema.ts';
import { loadProcessorConfig } from '../../processor/config.ts';

const view = {
  request_id: 'r-1',
  business_id: 'b-1',
  event_time: '2026-01-01T00:00:00Z',
  platform: 'web',
  path: '/menu',
};

describe('strict decoding', () => {
  it('refuses bytes that are not valid UTF-8 instead of storing replacement characters', () => {
    const json = Buffer.from(JSON.stringify(view));
    const broken = Buffer.concat([json.subarray(0, 16), Buffer.from([0xc3, 0x28]), json.subarray(16)]);
    expect(decodeObject(broken, 4096)).toEqual({ ok: false, reason: 'invalid UTF-8 in message' });
    expect(parsePageView(broken)).toEqual({ ok: false, reason: 'invalid UTF-8 in message' });
  });

  it('refuses a lone surrogate escaped in JSON', () => {
    const parsed = parsePageView(JSON.stringify(view).replace('b-1', 'b-\\ud800'));
    expect(parsed).toEqual({ ok: false, reason: 'invalid field business_id: not valid Unicode text' });
    expect(text({ name: 'caf\u00e9 \ud83d\ude00' }, 'name', 20).ok).toBe(true);
  });

  it('bounds every string', () => {
    const long = { ...view, path: 'x'.repeat(513) };
    expect(parsePageView(JSON.stringify(long))).toEqual({
      ok: false,
      reason: 'invalid field path: longer than 512 characters',
    });
  });

  it('refuses event times outside the plausible range, and accepts its bounds as documented', () => {
    for (const time of ['9999-12-31T00:00:00Z', '0001-01-01T00:00:00Z', '2100-01-01T00:00:00Z']) {
      const parsed = parsePageView(JSON.stringify({ ...view, event_time: time }));
      expect(parsed.ok ? 'accepted' : parsed.reason).toMatch(/outside the accepted event times/);
    }
    expect(isoTime({ t: '2000-01-01T00:00:00Z' }, 't').ok).toBe(true);
    const narrow = {
      earliestMs: Date.parse('2026-01-01T00:00:00Z'),
      latestMs: Date.parse('2026-01-02T00:00:00Z'),
    };
    expect(parsePageView(JSON.stringify({ ...view, event_time: '2025-12-31T23:59:59Z' }), narrow).ok).toBe(
      false,
    );
    expect(parsePageView(JSON.stringify(view), narrow).ok).toBe(true);
  });

  it('applies to drone reports too: strict UTF-8, bounded names, plausible times', () => {
    const report = {
      report_id: 'r',
      drone_id: 'd',
      lat: 0,
      lon: 0,
      event_time: '9999-01-01T00:00:00Z',
      persons: [{ person_id: 'p', first_name: 'A', last_name: 'B', harmony_score: 5, words: ['calm'] }],
    };
    expect(parseDroneReport(JSON.stringify(report)).ok).toBe(false);
    const named = { ...report, event_time: '2026-01-01T00:00:00Z' };
    expect(parseDroneReport(JSON.stringify(named)).ok).toBe(true);
    const longName = { ...named, persons: [{ ...named.persons[0], first_name: 'x'.repeat(60_000) }] };
    expect(parseDroneReport(JSON.stringify(longName)).ok).toBe(false);
    const bytes = Buffer.from(JSON.stringify(named).replace('"d"', '"d\u00ff"'), 'latin1');
    expect(parseDroneReport(bytes)).toEqual({ ok: false, reason: 'invalid UTF-8 in message' });
  });

  it('reads the range from EVENT_TIME_EARLIEST and EVENT_TIME_LATEST, checked once at start', () => {
    const config = loadProcessorConfig({ EVENT_TIME_EARLIEST: '2020-01-01T00:00:00Z' });
    expect(config.eventTimes.earliestMs).toBe(Date.parse('2020-01-01T00:00:00Z'));
    expect(() => loadProcessorConfig({ EVENT_TIME_LATEST: '1999-01-01T00:00:00Z' })).toThrow(
      /EVENT_TIME_LATEST: must be after EVENT_TIME_EARLIEST/,
    );
    expect(() => loadProcessorConfig({ EVENT_TIME_LATEST: 'tomorrow' })).toThrow(/EVENT_TIME_LATEST/);
  });
});
