import { type ChildProcess } from 'node:child_process';
import { expect, test } from 'vitest';
import { sampleValue } from '../../../common/exposition.ts';
import type { FlightRecord } from '../schema.ts';
import { caughtUp, committedRecords } from '../../../tests/support/groups.ts';
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
import { expectTheFlightsDefinitions, generateFlights } from './support.ts';

const COUNT = 20_000;
const SEED = 4;
const LATE = 50;
const PORT = 19990;

function startFlightsProcessor(prefix: string, keyspace: string, run: number): ChildProcess {
  return startPipelines(
    'flights',
    { prefix, instance: 'flights-test', port: PORT },
    {
      // Small batches: many commits, so that a kill lands between some and inside others.
      PROCESSOR_BATCH_MAX_RECORDS: '50',
      CASSANDRA_KEYSPACE_FLIGHTS: keyspace,
      FLIGHTS_GRACE_SECONDS: '7200',
    },
    `flights-processor-${run}.log`,
  );
}

/** Flights of the first day sent again once the stream is a day on, and records no one could take. */
async function sendLateAndInvalid(prefix: string, flights: FlightRecord[]): Promise<string[]> {
  const firstDay = flights[0]!.date;
  const late = flights.filter((flight) => flight.date === firstDay).slice(0, LATE);
  const flight = flights.find((candidate) => !candidate.cancelled && !candidate.diverted)!;
  const invalid = [
    { ...flight, airline: 'ZZ' },
    { ...flight, origin_airport: 'QQQ' },
    { ...flight, taxi_out: flight.taxi_out! + 1 },
  ];
  const producer = testProducer();
  await producer.connect();
  await producer.send(
    inTopic(
      `${prefix}flights.records`,
      [...late, ...invalid].map((record) => ({ key: record.airline, value: JSON.stringify(record) })),
    ),
  );
  await producer.disconnect();
  return ['unknown airline ZZ', 'unknown airport in origin_airport: QQQ', 'inconsistent taxi_out'];
}

test('20,000 generated flights, the processor killed with SIGKILL three times at random moments: every airline-day and route-day follows the definitions', async () => {
  const { prefix, keyspace } = isolatedRun();
  const flights = generateFlights(prefix, COUNT, SEED);
  const reasons = await sendLateAndInvalid(prefix, flights);
  const total = COUNT + LATE + reasons.length;
  const groupId = `${prefix}processor-flights`;
  const topic = `${prefix}flights.records`;
  let processor = startFlightsProcessor(prefix, keyspace, 0);
  let committedAtLastKill = 0;
  for (let kill = 1; kill <= 3; kill += 1) {
    // A random moment inside each quarter of the run: the work in flight is then never nothing.
    const target = Math.floor(total * (kill / 4 + (Math.random() - 0.5) * 0.15));
    // Polled closely: a coarse poll could see the run end before the moment comes.
    const deadline = Date.now() + 120_000;
    while ((await committedRecords(groupId, topic)) < target) {
      expect(Date.now(), `${target} records committed within 120 s`).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 100)));
    committedAtLastKill = await committedRecords(groupId, topic);
    expect(committedAtLastKill).toBeLessThan(total);
    processor.kill('SIGKILL');
    await new Promise((resolve) => processor.once('exit', resolve));
    processor = startFlightsProcessor(prefix, keyspace, kill);
  }
  await waitFor(
    () => caughtUp(groupId, [topic]),
    (done) => done,
    180_000,
  );

  await expectTheFlightsDefinitions(keyspace, flights, { days: 2 });

  const late = (await committedMessages(`${topic}.late`, LATE)).map(
    (text) => JSON.parse(text) as { reason: string },
  );
  expect(late).toHaveLength(LATE);
  expect(late.every((letter) => letter.reason.startsWith('late: '))).toBe(true);
  const dead = (await committedMessages(`${topic}.dlq`, reasons.length)).map(
    (text) => JSON.parse(text) as { reason: string; origin: { topic: string } },
  );
  expect(dead.map((letter) => letter.reason.split(':')[0]).sort()).toEqual(
    reasons.map((reason) => reason.split(':')[0]).sort(),
  );
  expect(dead.every((letter) => letter.origin.topic === topic)).toBe(true);

  // The last restart resumed from its committed offset and restored state: it read only the rest.
  const metrics = await metricsText(PORT);
  const read = ['accepted', 'late', 'rejected']
    .map(
      (outcome) =>
        sampleValue(metrics, 'processor_records_total', { pipeline: 'flights', topic, outcome }) ?? 0,
    )
    .reduce((sum, value) => sum + value, 0);
  expect(read).toBeGreaterThan(0);
  expect(read).toBeLessThanOrEqual(total - committedAtLastKill);
  expect(await stopGracefully(processor)).toBe(0);
}, 420_000);
