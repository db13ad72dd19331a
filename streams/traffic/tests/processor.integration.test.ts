import { type ChildProcess } from 'node:child_process';
import { expect, test } from 'vitest';
import { MINUTE_MS } from '../../../common/time.ts';
import {
  committedMessages,
  isolatedRun,
  metricsText,
  startPipelines,
  stopGracefully,
  testProducer,
  waitFor,
  inTopic,
} from '../../../tests/support/harness.ts';
import { caughtUp } from '../../../tests/support/groups.ts';
import {
  expectTheTrafficDefinitions,
  generateTraffic,
  storedMinuteViews,
  TRAFFIC_GRACE_SECONDS,
  type GeneratedTraffic,
} from './support.ts';
import { sampleValue } from '../../../common/exposition.ts';

const COUNT = 200_000;
const RATE = 150;
const LATE_VIEWS = 1000;

function startTrafficProcessor(
  prefix: string,
  keyspace: string,
  port: number,
  instance: string,
  settings: Record<string, string> = {},
): ChildProcess {
  return startPipelines(
    'traffic',
    { prefix, instance, port },
    {
      CASSANDRA_KEYSPACE_TRAFFIC: keyspace,
      TRAFFIC_GRACE_SECONDS: String(TRAFFIC_GRACE_SECONDS),
      ...settings,
    },
    `traffic-processor-${instance}.log`,
  );
}

/** 1,000 views two hours older than anything generated: later than any grace, once stream time has moved on. */
async function sendLateViews(prefix: string, traffic: GeneratedTraffic): Promise<void> {
  const producer = testProducer();
  await producer.connect();
  const businesses = [...new Set(traffic.views.slice(0, 5000).map((view) => view.business_id))];
  await producer.send(
    inTopic(
      `${prefix}traffic.pageviews`,
      Array.from({ length: LATE_VIEWS }, (_, index) => {
        const business_id = businesses[index % businesses.length]!;
        const event_time = new Date(traffic.start - 2 * 60 * MINUTE_MS + index * 1000).toISOString();
        return {
          key: business_id,
          value: JSON.stringify({
            request_id: `late-${index}`,
            business_id,
            event_time,
            platform: 'web',
            path: '/',
          }),
        };
      }),
    ),
  );
  await producer.disconnect();
}

test('200,000 generated page views: every per-minute count and the top 10 at three steps follow the definitions; late views are kept apart', async () => {
  const { prefix, keyspace } = isolatedRun();
  const traffic = generateTraffic(prefix, COUNT, 11, RATE);
  expect(traffic.end - traffic.start).toBeGreaterThan(20 * MINUTE_MS);
  await sendLateViews(prefix, traffic);
  const processor = startTrafficProcessor(prefix, keyspace, 19610, 'single');
  await waitFor(
    () =>
      caughtUp(`${prefix}processor-traffic`, [
        `${prefix}traffic.pageviews`,
        `${prefix}traffic.surge-candidates`,
      ]),
    (done) => done,
    300_000,
  );
  await expectTheTrafficDefinitions(keyspace, traffic, traffic.views, { minutesMoreThan: 50_000 });

  const late = (await committedMessages(`${prefix}traffic.pageviews.late`, LATE_VIEWS)).map(
    (text) => JSON.parse(text) as { reason: string; origin: { topic: string; offset: string } },
  );
  expect(late).toHaveLength(LATE_VIEWS);
  expect(
    late.every(
      (letter) => letter.reason.startsWith('late: ') && letter.origin.topic === `${prefix}traffic.pageviews`,
    ),
  ).toBe(true);
  const metrics = await metricsText(19610);
  const sample = (labels: Record<string, string>) =>
    sampleValue(metrics, 'processor_records_total', {
      pipeline: 'traffic',
      topic: `${prefix}traffic.pageviews`,
      ...labels,
    });
  expect(sample({ outcome: 'late' })).toBe(LATE_VIEWS);
  expect(sample({ outcome: 'accepted' })).toBe(COUNT);
  expect(sampleValue(metrics, 'traffic_top_steps_total', {})).toBeGreaterThan(100);
  // A window is written once, when it closes: as many rows written as minute rows stored.
  expect(
    sampleValue(metrics, 'processor_rows_written_total', { pipeline: 'traffic', table: 'business_minutes' }),
  ).toBe((await storedMinuteViews(keyspace)).size);
  expect(await stopGracefully(processor)).toBe(0);
}, 600_000);

test('two instances, each killed with SIGKILL three times at random moments and restarted: the same rows and top lists', async () => {
  const { prefix, keyspace } = isolatedRun();
  const traffic = generateTraffic(prefix, COUNT, 11, RATE);
  const ports = { a: 19620, b: 19621 };
  // Smaller micro-batches than the default: more transactions for a kill to interrupt, and work
  // that outlasts the kills' spacing however fast the processor gets.
  const start = (instance: 'a' | 'b') =>
    startTrafficProcessor(prefix, keyspace, ports[instance], instance, {
      PROCESSOR_BATCH_MAX_RECORDS: '2000',
    });
  const running: Record<'a' | 'b', ChildProcess> = { a: start('a'), b: start('b') };
  const groupId = `${prefix}processor-traffic`;
  const sources = [`${prefix}traffic.pageviews`, `${prefix}traffic.surge-candidates`];
  let killedMidRun = 0;
  for (let kill = 0; kill < 6; kill += 1) {
    const victim = kill % 2 === 0 ? 'a' : 'b';
    await new Promise((resolve) => setTimeout(resolve, 2000 + Math.floor(Math.random() * 3000)));
    if (!(await caughtUp(groupId, sources))) killedMidRun += 1;
    running[victim].kill('SIGKILL');
    await new Promise((resolve) => running[victim].once('exit', resolve));
    running[victim] = start(victim);
  }
  // The kills are worth something only while there is work in flight.
  expect(killedMidRun).toBeGreaterThanOrEqual(3);
  await waitFor(
    () => caughtUp(groupId, sources),
    (done) => done,
    300_000,
  );
  await expectTheTrafficDefinitions(keyspace, traffic, traffic.views, { minutesMoreThan: 50_000 });
  expect(await stopGracefully(running.a)).toBe(0);
  expect(await stopGracefully(running.b)).toBe(0);
}, 900_000);
