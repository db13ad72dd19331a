import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, expect, test } from 'vitest';
import { sampleValue } from '../../../common/exposition.ts';
import type { DiscordMessage } from '../notifier/discord.ts';
import type { DroneReport } from '../schema.ts';
import {
  committedMessages,
  isolatedRun,
  metricsText,
  programLog,
  startProgram,
  stopGracefully,
  waitFor,
  testProducer,
  inTopic,
} from '../../../tests/support/harness.ts';
import { uniqueName } from '../../../tests/support/services.ts';
import { generateReports, isDistressed, startProcessor } from './support.ts';

interface RecordedPost {
  receivedAt: number;
  status: number;
  message: DiscordMessage;
}

interface Answer {
  status: number;
  body?: string;
  delayMs?: number;
}

/** A stand-in for Discord's webhook endpoint: records every post and answers as told. */
async function webhookServer(answer: (index: number) => Answer) {
  const posts: RecordedPost[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { status, body = '', delayMs = 0 } = answer(posts.length);
      posts.push({
        receivedAt: Date.now(),
        status,
        message: JSON.parse(Buffer.concat(chunks).toString()) as DiscordMessage,
      });
      setTimeout(() => response.writeHead(status, { 'content-type': 'application/json' }).end(body), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/webhooks/1/token`,
    posts,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const alertIdOf = (post: RecordedPost) => post.message.embeds[0]!.footer.text.replace(/^alert /, '');
const postedIds = (posts: RecordedPost[]) =>
  posts.filter((post) => post.status >= 200 && post.status < 300).map(alertIdOf);

const { prefix, keyspace } = isolatedRun();
let distressed: DroneReport[] = [];

beforeAll(async () => {
  const sent = generateReports(`${prefix}drone.reports`, 600, 31);
  distressed = sent.filter(isDistressed);
  const processor = startProcessor(prefix, keyspace, 19514);
  await committedMessages(`${prefix}harmony.alerts`, distressed.length);
  await stopGracefully(processor);
  const producer = testProducer();
  await producer.connect();
  await producer.send(inTopic(`${prefix}harmony.alerts`, [{ key: 'bad', value: '{"alert_id": 1}' }]));
  await producer.disconnect();
}, 180_000);

function startNotifier(env: Record<string, string>, group: string, port: number, logName: string) {
  return startProgram(
    'streams/harmony/notifier/main.ts',
    {
      NOTIFIER_TOPIC_PREFIX: prefix,
      NOTIFIER_GROUP_ID: group,
      NOTIFIER_INSTANCE_ID: 'test',
      NOTIFIER_METRICS_PORT: String(port),
      ...env,
    },
    logName,
  );
}

/** Waits until every distressed report's alert got a 2xx, then 2 s more so a repeat would show. */
async function everyAlertPosted(posts: RecordedPost[]): Promise<string[]> {
  await waitFor(
    async () => new Set(postedIds(posts)).size,
    (count) => count >= distressed.length,
    120_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return postedIds(posts);
}

const rateLimited = JSON.stringify({
  message: 'You are being rate limited.',
  retry_after: 0.4,
  global: false,
});

test('every alert posted once as a Discord embed; 429 retry_after honoured; a bad alert kept in the DLQ', async () => {
  expect(distressed.length).toBeGreaterThan(10);
  const discord = await webhookServer((index) =>
    index === 7 ? { status: 500 } : index % 5 === 2 ? { status: 429, body: rateLimited } : { status: 204 },
  );
  const notifier = startNotifier(
    { DISCORD_WEBHOOK_URL: discord.url },
    uniqueName('notifier'),
    19516,
    'notifier.log',
  );
  const posted = await everyAlertPosted(discord.posts);

  expect(posted.sort()).toEqual(distressed.map((report) => report.report_id).sort());
  for (const [index, post] of discord.posts.entries()) {
    const next = discord.posts[index + 1];
    if (post.status === 429 && next !== undefined) {
      expect(next.receivedAt - post.receivedAt).toBeGreaterThanOrEqual(400);
      expect(alertIdOf(next)).toBe(alertIdOf(post));
    }
  }

  const report = distressed[0]!;
  const embed = discord.posts.find((post) => alertIdOf(post) === report.report_id)!.message.embeds[0]!;
  const field = (name: string) => embed.fields.find((candidate) => candidate.name === name)?.value ?? '';
  expect(field('Drone')).toBe(report.drone_id);
  expect(field('Position')).toBe(`${report.lat.toFixed(5)}, ${report.lon.toFixed(5)}`);
  expect(field('Date')).toContain(report.event_time);
  for (const person of report.persons) {
    const line = `${person.first_name} ${person.last_name} (${person.person_id}): **${person.harmony_score.toFixed(1)}**`;
    expect(field(person.harmony_score < 2 ? 'In distress' : 'Others in contact')).toContain(line);
    if (person.harmony_score < 2) expect(field('Key words')).toContain(person.words[0]);
  }
  expect(embed.timestamp).toBe(
    new Date(Math.floor(Date.parse(report.event_time) / 1000) * 1000).toISOString(),
  );

  const deadLetters = await committedMessages(`${prefix}harmony.alerts.dlq`, 1);
  expect(deadLetters).toHaveLength(1);
  expect(JSON.parse(deadLetters[0]!)).toMatchObject({
    reason: expect.stringMatching(/^invalid field alert_id/),
    origin: { topic: `${prefix}harmony.alerts`, key: 'bad' },
  });

  const metrics = await metricsText(19516);
  expect(sampleValue(metrics, 'notifier_alerts_total', { outcome: 'posted' })).toBe(distressed.length);
  expect(sampleValue(metrics, 'notifier_alerts_total', { outcome: 'invalid' })).toBe(1);
  expect(sampleValue(metrics, 'notifier_dead_letters_total')).toBe(1);
  expect(sampleValue(metrics, 'notifier_webhook_requests_total', { status: '2xx' })).toBe(distressed.length);
  expect(sampleValue(metrics, 'notifier_webhook_requests_total', { status: '429' })).toBeGreaterThan(0);
  expect(sampleValue(metrics, 'notifier_webhook_requests_total', { status: '5xx' })).toBe(1);
  expect(sampleValue(metrics, 'notifier_event_to_post_seconds_count')).toBe(distressed.length);
  expect(sampleValue(metrics, 'notifier_retrying')).toBe(0);
  expect(await stopGracefully(notifier)).toBe(0);
  await discord.close();
});

test('killed with SIGKILL while posting, twice: every alert posted, at most the one in flight repeated', async () => {
  const discord = await webhookServer(() => ({ status: 204, delayMs: 150 }));
  const group = uniqueName('notifier');
  for (let kill = 0; kill < 2; kill += 1) {
    const notifier = startNotifier(
      { DISCORD_WEBHOOK_URL: discord.url, NOTIFIER_SESSION_TIMEOUT_MS: '6000' },
      group,
      19517 + kill,
      'killed.log',
    );
    const before = discord.posts.length;
    await waitFor(
      async () => discord.posts.length,
      (count) => count >= before + 4,
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 300)));
    notifier.kill('SIGKILL');
    await new Promise((resolve) => notifier.once('exit', resolve));
  }
  const last = startNotifier({ DISCORD_WEBHOOK_URL: discord.url }, group, 19519, 'killed.log');
  const posted = await everyAlertPosted(discord.posts);
  expect(new Set(posted)).toEqual(new Set(distressed.map((report) => report.report_id)));
  expect(posted.length - distressed.length).toBeLessThanOrEqual(2);
  expect(await stopGracefully(last)).toBe(0);
  await discord.close();
});

test('a 429 asking for an hour: the wait is logged once, shown in the metrics, and capped', async () => {
  const anHour = JSON.stringify({ message: 'You are being rate limited.', retry_after: 3600, global: true });
  // Discord asks for an hour twice, then takes posts again.
  const discord = await webhookServer((index) =>
    index < 2 ? { status: 429, body: anHour } : { status: 204 },
  );
  const notifier = startNotifier(
    { DISCORD_WEBHOOK_URL: discord.url, NOTIFIER_RATE_LIMIT_MAX_WAIT_SECONDS: '4' },
    uniqueName('notifier'),
    19521,
    'long-429.log',
  );
  const waiting = await waitFor(
    () => metricsText(19521),
    (text) => sampleValue(text, 'notifier_rate_limit_wait_seconds') === 4,
    60_000,
  );
  expect(sampleValue(waiting, 'notifier_retrying')).toBe(1);
  const posted = await everyAlertPosted(discord.posts);
  expect(new Set(posted).size).toBe(distressed.length);
  // Two capped waits of 4 s, not an hour: the third request came about 8 s after the first.
  const [first, , third] = discord.posts;
  expect(third!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(8000);
  expect(third!.receivedAt - first!.receivedAt).toBeLessThan(60_000);
  const warnings = programLog('long-429.log')
    .split('\n')
    .filter((line) => line.includes('rate limited by discord'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; requestedMs: number });
  expect(warnings.filter((line) => line.level === 40)).toHaveLength(1);
  expect(warnings[0]!.requestedMs).toBe(3_600_000);
  expect(warnings[0]!.msg).toMatch(
    /waiting 4 s \(it asked 3600 s; NOTIFIER_RATE_LIMIT_MAX_WAIT_SECONDS caps a wait\)/,
  );
  const after = await metricsText(19521);
  expect(sampleValue(after, 'notifier_retrying')).toBe(0);
  expect(sampleValue(after, 'notifier_rate_limit_wait_seconds')).toBe(0);
  expect(await stopGracefully(notifier)).toBe(0);
  await discord.close();
}, 180_000);

test('without DISCORD_WEBHOOK_URL: says so once and logs every alert', async () => {
  const notifier = startNotifier({ DISCORD_WEBHOOK_URL: '' }, uniqueName('notifier'), 19520, 'no-url.log');
  await waitFor(
    () => metricsText(19520),
    (text) => sampleValue(text, 'notifier_alerts_total', { outcome: 'logged' }) === distressed.length,
    60_000,
  );
  const log = programLog('no-url.log');
  expect(log.match(/DISCORD_WEBHOOK_URL is not set/g)).toHaveLength(1);
  for (const report of distressed) expect(log).toContain(report.report_id);
  expect(await stopGracefully(notifier)).toBe(0);
});
