import { describe, expect, test } from 'vitest';
import { loadNotifierConfig } from '../notifier/config.ts';
import { DISCORD_LIMITS, fitLines, toDiscordMessage } from '../notifier/discord.ts';
import { statusClass } from '../notifier/metrics.ts';
import { judgeResponse, retryAfterMs } from '../notifier/webhook.ts';
import type { HarmonyAlert } from '../schema.ts';

const alert: HarmonyAlert = {
  alert_id: 'r-1',
  drone_id: 'drone-007',
  lat: 48.856613,
  lon: 2.352222,
  event_time: '2026-11-22T10:15:30.250Z',
  distressed: [{ person_id: 'p-00001', name: 'Ada Lovelace', score: 1.25 }],
  others_in_contact: [{ person_id: 'p-00002', name: 'Alan Turing', score: 7 }],
  key_words: ['I will not stand for this injustice'],
};

describe('toDiscordMessage', () => {
  test('one embed with drone, position, people and their scores, key words and date', () => {
    const message = toDiscordMessage(alert);
    expect(message.allowed_mentions).toEqual({ parse: [] });
    const [embed] = message.embeds;
    expect(embed!.title).toBe('1 person in distress near drone drone-007');
    expect(embed!.timestamp).toBe('2026-11-22T10:15:30.000Z');
    expect(embed!.footer.text).toBe('alert r-1');
    expect(Object.fromEntries(embed!.fields.map((field) => [field.name, field.value]))).toEqual({
      Drone: 'drone-007',
      Position: '48.85661, 2.35222',
      Date: '<t:1795342530:F> (2026-11-22T10:15:30.250Z)',
      'In distress': 'Ada Lovelace (p-00001): **1.3**',
      'Others in contact': 'Alan Turing (p-00002): **7.0**',
      'Key words': '> I will not stand for this injustice',
    });
  });

  test('a crowd is cut to Discord limits with a count of who was left out', () => {
    const crowd = Array.from({ length: 50 }, (_, index) => ({
      person_id: `p-${index}`,
      name: 'Someone With A Rather Long Name',
      score: 5,
    }));
    const [embed] = toDiscordMessage({ ...alert, others_in_contact: crowd }).embeds;
    const others = embed!.fields.find((field) => field.name === 'Others in contact')!.value;
    expect(others.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
    expect(others).toMatch(/\n… and \d+ more$/);
    const shown = others.split('\n').length - 1;
    expect(others).toContain(`… and ${50 - shown} more`);
  });
});

describe('fitLines', () => {
  test('keeps everything that fits, says none for nothing', () => {
    expect(fitLines(['a', 'b'], 10)).toBe('a\nb');
    expect(fitLines([], 10)).toBe('none');
  });
  test('a single line too long still says how many were left out', () => {
    expect(fitLines(['x'.repeat(50)], 20)).toBe('… and 1 more');
  });
});

describe('judgeResponse', () => {
  const MAX_WAIT_MS = 60_000;
  test('2xx is done; 429 waits as Discord says; 400 is refused for good; the rest retries', () => {
    expect(judgeResponse(204, '', null, MAX_WAIT_MS)).toEqual({ action: 'done' });
    expect(judgeResponse(429, '{"retry_after": 1.5, "global": false}', '2', MAX_WAIT_MS)).toEqual({
      action: 'wait',
      ms: 1500,
      requestedMs: 1500,
    });
    expect(judgeResponse(400, '{"embeds": ["0"]}', null, MAX_WAIT_MS)).toMatchObject({ action: 'reject' });
    expect(judgeResponse(404, 'Unknown Webhook', null, MAX_WAIT_MS)).toMatchObject({
      action: 'retry',
      reason: 'discord answered 404: Unknown Webhook',
    });
    expect(judgeResponse(503, '', null, MAX_WAIT_MS)).toMatchObject({ action: 'retry' });
  });

  test('a 429 asking for an hour waits at most the cap', () => {
    expect(judgeResponse(429, '{"retry_after": 3600}', null, MAX_WAIT_MS)).toEqual({
      action: 'wait',
      ms: MAX_WAIT_MS,
      requestedMs: 3_600_000,
    });
  });

  test('retry_after falls back to the header, then to one second', () => {
    expect(retryAfterMs('not json', '3')).toBe(3000);
    expect(retryAfterMs('{}', null)).toBe(1000);
    expect(retryAfterMs('{"retry_after": 0.0421}', null)).toBe(43);
  });
});

test('status classes stay bounded', () => {
  expect([0, 200, 204, 429, 404, 500, 503].map(statusClass)).toEqual([
    'error',
    '2xx',
    '2xx',
    '429',
    '4xx',
    '5xx',
    '5xx',
  ]);
});

describe('loadNotifierConfig', () => {
  test('defaults: no webhook, metrics on 127.0.0.1:9466', () => {
    const config = loadNotifierConfig({});
    expect(config.webhookUrl).toBeUndefined();
    expect(config.metricsPort).toBe(9466);
    expect(config.metricsHost).toBe('127.0.0.1');
  });
  test('an empty webhook URL means none; a malformed one is refused in one line', () => {
    expect(loadNotifierConfig({ DISCORD_WEBHOOK_URL: '' }).webhookUrl).toBeUndefined();
    expect(() => loadNotifierConfig({ DISCORD_WEBHOOK_URL: 'discord.com/api' })).toThrow(
      /^invalid DISCORD_WEBHOOK_URL/,
    );
  });
});
