/**
 * Every pipeline in one processor, killed with SIGKILL while each stateful one has committed some
 * but not all of its input, then restarted: each must resume from its committed offsets and its
 * changelog, and every stream's rows must be exactly what its generator's file gives.
 */
import { type ChildProcess } from 'node:child_process';
import { expect, test } from 'vitest';
import { sampleValue } from '../../common/exposition.ts';
import { MINUTE_MS } from '../../common/time.ts';
import { pipelineNames } from '../../streams/index.ts';
import { HASHTAG_USES_TOPIC, PLACE_POSTS_TOPIC, POSTS_TOPIC } from '../../streams/hashtags/schema.ts';
import { caughtUp, committedRecords } from '../support/groups.ts';
import { isolatedRun, metricsText, startPipelines, stopGracefully } from '../support/harness.ts';
import {
  COMMUNITY_GRACE_SECONDS,
  expectTheCommunityDefinitions,
  generateActivity,
} from '../../streams/community/tests/support.ts';
import { expectTheFlightsDefinitions, generateFlights } from '../../streams/flights/tests/support.ts';
import { expectExactlyTheSentFacts, generateReports } from '../../streams/harmony/tests/support.ts';
import {
  expectTheHashtagsDefinitions,
  GRACE_SECONDS as HASHTAGS_GRACE_SECONDS,
  hashtagsDrained,
  postsWithClosing,
} from '../../streams/hashtags/tests/support.ts';
import { expectTheMarketsDefinitions, generateTicks } from '../../streams/markets/tests/support.ts';
import {
  expectTheTrafficDefinitions,
  generateTraffic,
  TRAFFIC_GRACE_SECONDS,
} from '../../streams/traffic/tests/support.ts';

const PORT = 19750;
/** Small micro-batches for every pipeline: many commits, so that the kill lands between some and inside others. */
const BATCH_MAX_RECORDS = 50;
/**
 * A fetch of at most 64 KiB a partition (the least the setting takes; 8 MiB by default): a
 * pipeline's later stages (hashtags' counting, traffic's merge) then get their turns while its
 * first stage still has a backlog, as in a live stream, instead of once it has fetched it all.
 */
const FETCH_MAX_BYTES_PER_PARTITION = 64 * 1024;
/** How long the restarted processor may take to consume every topic to its end: liveness, not speed. */
const RESUME_DEADLINE_MS = 4 * MINUTE_MS;
/** The stream's default, set anyway: the flights' final flags assume it. */
const FLIGHTS_GRACE_SECONDS = 7200;

// Inputs sized so that all of them fit in one run of a few minutes, each still long enough to
// hold state across many commits.
const REPORTS = 2000;
/**
 * 22 minutes of page views, so that the top lists at 17, 19 and 21 minutes have their trailing
 * 15; a catalogue a twentieth of the default's, which the pipeline reads too.
 */
const VIEWS = { count: 33_000, ratePerSecond: 25, businesses: 10_000 };
/** 40 symbols of 250 bars: 231 with bands and 225 with Aroon each. */
const BARS = { count: 10_000, expected: { rows: 10_000, bands: 40 * 231, aroons: 40 * 225 } };
const POSTS = { count: 25_000, rate: 100 };
/** From midday: at 15 a minute they run into the next morning, past midnight and its grace. */
const FLIGHTS = 20_000;
const EVENTS = 20_000;

interface Pipeline {
  name: string;
  /** The topic its generator wrote (without transactions: committed offsets count its records). */
  input: string;
  inputRecords: number;
  /** The topics its stateful nodes read, each of which must have commits before the kill; none if stateless. */
  stateTopics: string[];
  /** Whether it has consumed every topic it reads to its end. */
  drained: () => Promise<boolean>;
}

test('every pipeline in one processor, killed with SIGKILL mid-run and restarted: each resumes from its state and every stream’s rows follow the definitions', async () => {
  const run = isolatedRun();
  const { prefix } = run;
  const keyspaceOf = (stream: string) => `${run.keyspace}_${stream}`;
  const groupOf = (pipeline: string) => `${prefix}processor-${pipeline}`;
  const topic = (name: string) => `${prefix}${name}`;

  const reports = generateReports(topic('drone.reports'), REPORTS, 7);
  const traffic = generateTraffic(prefix, VIEWS.count, 11, VIEWS.ratePerSecond, VIEWS.businesses);
  const ticks = generateTicks(prefix, BARS.count, 9);
  const posts = await postsWithClosing(prefix, { count: POSTS.count, seed: 3, rate: POSTS.rate });
  const flights = generateFlights(prefix, FLIGHTS, 4);
  const activity = generateActivity(topic('community.events'), EVENTS, 5);

  const drainedIn = (pipeline: string, topics: string[]) => () =>
    caughtUp(
      groupOf(pipeline),
      topics.map((name) => topic(name)),
    );
  const pipelines: Pipeline[] = [
    {
      name: 'harmony',
      input: topic('drone.reports'),
      inputRecords: reports.length,
      stateTopics: [],
      drained: drainedIn('harmony', ['drone.reports']),
    },
    {
      name: 'traffic',
      input: topic('traffic.pageviews'),
      inputRecords: traffic.views.length,
      stateTopics: [topic('traffic.pageviews')],
      drained: drainedIn('traffic', ['traffic.pageviews', 'traffic.surge-candidates', 'traffic.businesses']),
    },
    ...['bollinger', 'aroon'].map((name) => ({
      name,
      input: topic('market.bars'),
      inputRecords: ticks.bars.length,
      stateTopics: [topic('market.bars')],
      drained: drainedIn(name, ['market.bars']),
    })),
    {
      name: 'hashtags',
      input: topic(POSTS_TOPIC),
      inputRecords: posts.posts.length,
      // The split stage keeps no state: the counting stages do.
      stateTopics: [topic(HASHTAG_USES_TOPIC), topic(PLACE_POSTS_TOPIC)],
      drained: () => hashtagsDrained(prefix),
    },
    {
      name: 'flights',
      input: topic('flights.records'),
      inputRecords: flights.length,
      stateTopics: [topic('flights.records')],
      drained: drainedIn('flights', ['flights.records']),
    },
    {
      name: 'community',
      input: topic('community.events'),
      inputRecords: activity.events.length,
      stateTopics: [topic('community.events')],
      drained: drainedIn('community', ['community.events']),
    },
  ];
  // A pipeline added to the processor and not to this test fails here.
  expect(pipelines.map(({ name }) => name).sort()).toEqual(pipelineNames().sort());
  const stateful = pipelines.filter(({ stateTopics }) => stateTopics.length > 0);

  const start = (name: string): ChildProcess =>
    startPipelines(
      pipelineNames().join(','),
      { prefix, instance: name, port: PORT },
      {
        PROCESSOR_BATCH_MAX_RECORDS: String(BATCH_MAX_RECORDS),
        PROCESSOR_FETCH_MAX_BYTES_PER_PARTITION: String(FETCH_MAX_BYTES_PER_PARTITION),
        CASSANDRA_KEYSPACE_HARMONY: keyspaceOf('harmony'),
        CASSANDRA_KEYSPACE_TRAFFIC: keyspaceOf('traffic'),
        CASSANDRA_KEYSPACE_MARKETS: keyspaceOf('markets'),
        CASSANDRA_KEYSPACE_HASHTAGS: keyspaceOf('hashtags'),
        CASSANDRA_KEYSPACE_FLIGHTS: keyspaceOf('flights'),
        CASSANDRA_KEYSPACE_COMMUNITY: keyspaceOf('community'),
        TRAFFIC_GRACE_SECONDS: String(TRAFFIC_GRACE_SECONDS),
        HASHTAGS_GRACE_SECONDS: String(HASHTAGS_GRACE_SECONDS),
        FLIGHTS_GRACE_SECONDS: String(FLIGHTS_GRACE_SECONDS),
        COMMUNITY_GRACE_SECONDS: String(COMMUNITY_GRACE_SECONDS),
      },
      `all-pipelines-${name}.log`,
    );
  const committed = async () =>
    new Map(
      await Promise.all(
        pipelines.map(
          async ({ name, input }) => [name, await committedRecords(groupOf(name), input)] as const,
        ),
      ),
    );
  const everyStateTopicCommitted = async () =>
    (
      await Promise.all(
        stateful.flatMap(({ name, stateTopics }) =>
          stateTopics.map(async (stateTopic) => (await committedRecords(groupOf(name), stateTopic)) > 0),
        ),
      )
    ).every(Boolean);

  const first = start('first');
  // A random moment by progress, not by the clock: once every stateful pipeline has committed
  // state and the one furthest ahead has committed a random 15-50 % of its input, so that
  // every one of them is mid-run. Polled closely: a coarse poll could overshoot the moment.
  const killAt = 0.15 + Math.random() * 0.35;
  const deadline = Date.now() + 3 * MINUTE_MS;
  for (;;) {
    // A read may fail while a fresh group's coordinator is still loading: not there yet, then.
    const positions = await committed().catch(() => undefined);
    const leading =
      positions === undefined
        ? 0
        : Math.max(...stateful.map(({ name, inputRecords }) => positions.get(name)! / inputRecords));
    if (leading >= killAt && (await everyStateTopicCommitted().catch(() => false))) break;
    expect(Date.now(), 'every stateful pipeline committing within 3 minutes').toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  const atKill = await committed();
  for (const { name, inputRecords } of stateful) {
    expect(atKill.get(name), `${name} committed some of its input before the kill`).toBeGreaterThan(0);
    expect(atKill.get(name), `${name} had input left at the kill`).toBeLessThan(inputRecords);
  }
  expect(await everyStateTopicCommitted(), 'every stateful pipeline held committed state').toBe(true);

  const restarted = start('restarted');
  // Liveness: every pipeline consumes its topics to the end, however slowly.
  const resumeDeadline = Date.now() + RESUME_DEADLINE_MS;
  let behind = pipelines;
  while (behind.length > 0 && Date.now() < resumeDeadline) {
    const drained = await Promise.all(behind.map(({ drained }) => drained().catch(() => false)));
    behind = behind.filter((_, index) => !drained[index]);
    if (behind.length > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  expect(
    behind.map(({ name }) => name),
    `pipelines that did not consume their topics to the end within ${RESUME_DEADLINE_MS / MINUTE_MS} minutes of the restart`,
  ).toEqual([]);

  await expectExactlyTheSentFacts(prefix, keyspaceOf('harmony'), reports);
  await expectTheTrafficDefinitions(keyspaceOf('traffic'), traffic, traffic.views, {
    minutesMoreThan: 10_000,
  });
  await expectTheMarketsDefinitions(keyspaceOf('markets'), ticks, BARS.expected);
  await expectTheHashtagsDefinitions(keyspaceOf('hashtags'), posts.generated, posts.posts, {
    hashtagMinutesMoreThan: 7_000,
    placeMinutesMoreThan: 1_300,
  });
  await expectTheFlightsDefinitions(keyspaceOf('flights'), flights, { days: 2 });
  await expectTheCommunityDefinitions(keyspaceOf('community'), activity, {
    windowsMoreThan: 300,
    totalsMoreThan: 1000,
  });

  // Resumed, not started over: each pipeline read at most what was left after its committed
  // offset, and each stateful one read its state back from its changelog.
  const metrics = await metricsText(PORT);
  for (const { name, input, inputRecords } of pipelines) {
    const read = ['accepted', 'late', 'rejected']
      .map(
        (outcome) =>
          sampleValue(metrics, 'processor_records_total', { pipeline: name, topic: input, outcome }) ?? 0,
      )
      .reduce((sum, value) => sum + value, 0);
    expect(read, `${name}: records read after the restart`).toBeLessThanOrEqual(
      inputRecords - atKill.get(name)!,
    );
  }
  for (const { name } of stateful) {
    expect(
      sampleValue(metrics, 'processor_state_restored_records_total', { pipeline: name }),
      `${name}: changelog records restored after the restart`,
    ).toBeGreaterThan(0);
  }
  expect(await stopGracefully(restarted)).toBe(0);
}, 600_000);
