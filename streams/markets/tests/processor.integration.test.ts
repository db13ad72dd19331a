import { type ChildProcess } from 'node:child_process';
import { expect, test } from 'vitest';
import { sampleValue } from '../../../common/exposition.ts';
import { HOUR_MS } from '../../../common/time.ts';
import type { Bar } from '../schema.ts';
import { caughtUp } from '../../../tests/support/groups.ts';
import {
  committedMessages,
  isolatedRun,
  kafka,
  metricsText,
  stopGracefully,
  testProducer,
  waitFor,
  inTopic,
} from '../../../tests/support/harness.ts';
import {
  expectTheMarketsDefinitions,
  generateTicks,
  startMarketsProcessor,
  type GeneratedTicks,
} from './support.ts';

const COUNT = 5000;
const SEED = 9;
const PIPELINES = ['bollinger', 'aroon'] as const;
const INCONSISTENT = 4;
const LATE = 5;
/** 40 symbols of 125 bars: 106 with bands and 100 with Aroon each. */
const EXPECTED = { rows: COUNT, bands: 40 * 106, aroons: 40 * 100 };

const groupOf = (prefix: string, pipeline: string) => `${prefix}processor-${pipeline}`;

async function bothCaughtUp(prefix: string): Promise<boolean> {
  for (const pipeline of PIPELINES) {
    if (!(await caughtUp(groupOf(prefix, pipeline), [`${prefix}market.bars`]))) return false;
  }
  return true;
}

/** Neither pipeline has caught up: a kill now interrupts both. */
async function bothBehind(prefix: string): Promise<boolean> {
  for (const pipeline of PIPELINES) {
    if (await caughtUp(groupOf(prefix, pipeline), [`${prefix}market.bars`])) return false;
  }
  return true;
}

/** Records each pipeline's group has committed past, over every partition of market.bars. */
async function committedPositions(prefix: string): Promise<Record<string, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const positions: Record<string, bigint> = {};
    for (const pipeline of PIPELINES) {
      const committed = await admin.committedOffsets(groupOf(prefix, pipeline), `${prefix}market.bars`);
      positions[pipeline] = [...committed.values()].reduce((sum, offset) => sum + BigInt(offset), 0n);
    }
    return positions;
  } finally {
    await admin.disconnect();
  }
}

/** Resolves once either pipeline's group has committed past `target` records, looking often. */
async function untilEitherCommitted(prefix: string, target: bigint, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const positions = await committedPositions(prefix);
    if (PIPELINES.some((pipeline) => positions[pipeline]! >= target)) return;
    if (Date.now() > deadline)
      throw new Error(`no pipeline committed past ${target} records in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Bars no pipeline may merge: inconsistent ones (dead letters) and ones two hours older than any (late). */
async function sendBadBars(prefix: string, ticks: GeneratedTicks): Promise<void> {
  const base = ticks.bars[0]!;
  const at = (offset: number) => new Date(ticks.start + offset).toISOString();
  const inconsistent: Bar[] = [
    { ...base, bar_start: at(0), high: base.low - 1 },
    { ...base, bar_start: at(0), volume: -1 },
    { ...base, bar_start: at(0), open: base.high + 1 },
    { ...base, bar_start: at(0), close: base.low - 1 },
  ];
  const late = Array.from({ length: LATE }, (_, index) => ({
    ...ticks.bars[index]!,
    bar_start: at(-2 * HOUR_MS + index * 1000),
  }));
  const producer = testProducer();
  await producer.connect();
  await producer.send(
    inTopic(
      `${prefix}market.bars`,
      [...inconsistent, ...late].map((bar) => ({ key: bar.symbol, value: JSON.stringify(bar) })),
    ),
  );
  await producer.disconnect();
}

test('5,000 generated bars: every Bollinger and Aroon value follows the definitions; each pipeline reads the whole topic in its own group and keeps its own dead letters and late bars', async () => {
  const { prefix, keyspace } = isolatedRun();
  const ticks = generateTicks(prefix, COUNT, SEED);
  expect(ticks.bars).toHaveLength(COUNT);
  await sendBadBars(prefix, ticks);
  const processor = startMarketsProcessor(prefix, keyspace, 19960, 'single');
  await waitFor(
    () => bothCaughtUp(prefix),
    (done) => done,
    240_000,
  );
  await expectTheMarketsDefinitions(keyspace, ticks, EXPECTED);

  const metrics = await metricsText(19960);
  for (const pipeline of PIPELINES) {
    const records = (outcome: string) =>
      sampleValue(metrics, 'processor_records_total', {
        pipeline,
        topic: `${prefix}market.bars`,
        outcome,
      });
    // Each group consumed every record of the topic itself.
    expect([records('accepted'), records('rejected'), records('late')]).toEqual([COUNT, INCONSISTENT, LATE]);
    const letters = (await committedMessages(`${prefix}market.bars.${pipeline}.dlq`, INCONSISTENT)).map(
      (text) => JSON.parse(text) as { reason: string; origin: { topic: string } },
    );
    expect(letters).toHaveLength(INCONSISTENT);
    expect(letters.every((letter) => letter.reason.startsWith('inconsistent bar: '))).toBe(true);
    expect(letters.every((letter) => letter.origin.topic === `${prefix}market.bars`)).toBe(true);
    const late = (await committedMessages(`${prefix}market.bars.${pipeline}.late`, LATE)).map(
      (text) => JSON.parse(text) as { reason: string },
    );
    expect(late).toHaveLength(LATE);
    expect(late.every((letter) => letter.reason.startsWith('late: bar '))).toBe(true);
  }
  expect(await stopGracefully(processor)).toBe(0);
}, 420_000);

test('killed with SIGKILL three times at random moments and restarted: the same rows; a restart resumes from its state, not from the topic’s start', async () => {
  const { prefix, keyspace } = isolatedRun();
  const ticks = generateTicks(prefix, COUNT, SEED);
  const port = 19961;
  // Small batches: many transactions, so the kills land while there is work in flight.
  const settings = { PROCESSOR_BATCH_MAX_RECORDS: '10' };
  let processor: ChildProcess = startMarketsProcessor(prefix, keyspace, port, 'k0', settings);
  let killedMidRun = 0;
  let before = await committedPositions(prefix);
  for (let kill = 1; kill <= 3; kill += 1) {
    // A random moment by progress, not by the clock (a quick machine would finish first): once
    // the leading pipeline has committed past a random point of its share of what is left, the
    // kills spread over the first 85 % of the topic, each after this instance's first commits.
    const leading = PIPELINES.reduce(
      (most, pipeline) => (before[pipeline]! > most ? before[pipeline]! : most),
      0n,
    );
    const room = (BigInt(Math.floor(COUNT * 0.85)) - leading) / BigInt(4 - kill);
    const target = leading + 1n + BigInt(Math.floor(Math.random() * Math.max(1, Number(room))));
    await untilEitherCommitted(prefix, target, 180_000);
    if (await bothBehind(prefix)) killedMidRun += 1;
    processor.kill('SIGKILL');
    await new Promise((resolve) => processor.once('exit', resolve));
    before = await committedPositions(prefix);
    processor = startMarketsProcessor(prefix, keyspace, port, `k${kill}`, settings);
  }
  // The kills are worth something only while both pipelines have work in flight (and a
  // pipeline left with nothing to read would claim no partition, so restore nothing).
  expect(killedMidRun).toBe(3);
  const resumedFrom = before;
  await waitFor(
    () => bothCaughtUp(prefix),
    (done) => done,
    240_000,
  );
  await expectTheMarketsDefinitions(keyspace, ticks, EXPECTED);

  const metrics = await metricsText(port);
  for (const pipeline of PIPELINES) {
    const consumed = ['accepted', 'rejected', 'late']
      .map(
        (outcome) =>
          sampleValue(metrics, 'processor_records_total', {
            pipeline,
            topic: `${prefix}market.bars`,
            outcome,
          }) ?? 0,
      )
      .reduce((sum, value) => sum + value, 0);
    // The last instance read exactly what the killed ones had not committed (the generator's
    // producer is not transactional: offsets count records)...
    expect(resumedFrom[pipeline]!, pipeline).toBeGreaterThan(0n);
    expect(BigInt(consumed), pipeline).toBe(BigInt(COUNT) - resumedFrom[pipeline]!);
    // ...with each symbol's window restored from its pipeline's changelog.
    expect(
      sampleValue(metrics, 'processor_state_restored_records_total', { pipeline }),
      pipeline,
    ).toBeGreaterThan(0);
  }
  expect(await stopGracefully(processor)).toBe(0);
}, 600_000);
