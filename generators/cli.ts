import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { retryUntilDone } from '../common/backoff.ts';
import { acceptDeprecatedNames, runCli } from '../common/cli.ts';
import { createKafkaClient, type KafkaClient, type RecordProducer } from '../common/kafka.ts';
import type { OutputRecord } from '../common/records.ts';
import {
  OptionError,
  parsePositiveInteger,
  resolveRunOptions,
  type RawRunOptions,
  type RunOptions,
} from './options.ts';
import { STREAMS } from '../streams/index.ts';
import type { SizeOption, StreamDefinition, StreamEvent } from './streams.ts';

const PROGRESS_EVERY_MS = 2000;
// Bounds one produce request, and so the memory a burst at a high rate can take.
const MAX_CHUNK = 2000;
// Below this wait we let due messages pile up into one request rather than await each one.
const MIN_TICK_MS = 10;
// A sleeping sender wakes at least this often to notice SIGINT/SIGTERM.
const MAX_TICK_MS = 250;
const REFERENCE_TOPIC_PARTITIONS = 3;

/**
 * Sends one request until Kafka takes it: a broker restarting or unreachable for a while is
 * waited out with backoff, said once on stderr, instead of ending the run. Nothing is sent
 * twice: the idempotent producer gives a request that is sent again the same sequence numbers,
 * and the broker drops what it had already appended.
 */
function sendUntilTaken(
  producer: RecordProducer,
  records: OutputRecord[],
  stopping: () => boolean,
): Promise<void> {
  return untilKafkaAnswers(() => producer.send(records), stopping);
}

/** Asks Kafka until it answers, with backoff; says so once on stderr, and when it answers again. */
async function untilKafkaAnswers(action: () => Promise<void>, stopping: () => boolean): Promise<void> {
  await retryUntilDone(action, {
    onFailure(error, attempt) {
      if (attempt > 0) return;
      process.stderr.write(`kafka unavailable (${(error as Error).message}); retrying with backoff\n`);
    },
    onRecovered(attempts) {
      process.stderr.write(`kafka takes events again (after ${attempts} attempts)\n`);
    },
    async wait(ms) {
      for (let waited = 0; waited < ms; waited += MAX_TICK_MS) {
        if (stopping())
          throw new Error('stopped while Kafka was unavailable; the events not sent are not in --out');
        await sleep(MAX_TICK_MS);
      }
    },
  });
}

function take(topic: string, events: Iterator<StreamEvent>, count: number): OutputRecord[] {
  const chunk: OutputRecord[] = [];
  while (chunk.length < count) {
    const next = events.next();
    if (next.done) break;
    chunk.push({ topic, key: next.value.key, value: next.value.value });
  }
  return chunk;
}

async function closeFile(file: WriteStream | undefined): Promise<void> {
  if (file === undefined) return;
  file.end();
  await finished(file);
}

function parseSize(size: SizeOption, text: string): number {
  if (size.min !== 0) return parsePositiveInteger(`--${size.name}`, text);
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value)) {
    throw new OptionError(`--${size.name} must be 0 or a positive integer, got '${text}'`);
  }
  return value;
}

/** Reference data goes to a compacted topic; one that exists already is left as it is, with a warning. */
async function ensureCompactedTopic(kafka: KafkaClient, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      await admin.ensureTopics([{ topic, partitions: REFERENCE_TOPIC_PARTITIONS, compacted: true }]);
      return;
    }
    const policy = (await admin.topicConfigs(topic, ['cleanup.policy'])).get('cleanup.policy');
    if (policy !== undefined && !policy.split(',').includes('compact')) {
      process.stderr.write(`warning: ${topic} exists with cleanup.policy=${policy}, not compact\n`);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Reference data as one run sends it: the records, and the topic they go to. */
interface ReferenceRecords {
  topic: string;
  events: Iterable<StreamEvent>;
}

async function sendReferenceData(
  kafka: KafkaClient,
  producer: RecordProducer,
  reference: ReferenceRecords,
  stopping: () => boolean,
): Promise<void> {
  // A broker just started may not serve a topic it has just created yet: asked again, like a send.
  await untilKafkaAnswers(() => ensureCompactedTopic(kafka, reference.topic), stopping);
  const began = performance.now();
  const events = reference.events[Symbol.iterator]();
  let sent = 0;
  while (!stopping()) {
    const records = take(reference.topic, events, MAX_CHUNK);
    if (records.length === 0) break;
    await sendUntilTaken(producer, records, stopping);
    sent += records.length;
  }
  const seconds = (performance.now() - began) / 1000;
  process.stderr.write(`sent ${sent} reference records to ${reference.topic} in ${seconds.toFixed(1)} s\n`);
}

async function send(
  stream: StreamDefinition,
  options: RunOptions,
  sizes: Record<string, number>,
  texts: Record<string, string | undefined>,
  statusFile: string | undefined,
  reference: ReferenceRecords | undefined,
): Promise<void> {
  const intervalMs = 1000 / options.ratePerSecond;
  const timing = { seed: options.seed, start: options.start, intervalMs, count: options.count };
  for (const line of stream.describeRun?.(timing, sizes, texts) ?? []) process.stderr.write(`${line}\n`);
  const events = stream.events(timing, sizes, texts);
  // No client log: failures reach us as rejections and end the run with one line. Keys partition
  // as in Java clients (murmur2), so all reports of one drone share a partition.
  const kafka = createKafkaClient({ clientId: 'generator', brokers: options.brokers });
  const producer = kafka.producer();
  try {
    await producer.connect();
  } catch (error) {
    throw new Error(`cannot reach Kafka at ${options.brokers.join(',')}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let stopping = false;
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    if (reference !== undefined) await sendReferenceData(kafka, producer, reference, () => stopping);
  } catch (error) {
    await producer.disconnect();
    throw error;
  }
  const file = options.out === undefined ? undefined : createWriteStream(options.out);

  const began = performance.now();
  let sent = 0;
  const progress = setInterval(() => {
    const seconds = (performance.now() - began) / 1000;
    process.stderr.write(`sent ${sent} to ${options.topic} (${(sent / seconds).toFixed(1)}/s)\n`);
    if (statusFile !== undefined) {
      writeFileSync(statusFile, `${JSON.stringify({ sent, at: new Date().toISOString() })}\n`);
    }
  }, PROGRESS_EVERY_MS);

  try {
    const total = options.count ?? Number.POSITIVE_INFINITY;
    while (!stopping && sent < total) {
      const elapsedMs = performance.now() - began;
      const paced = options.burst ? Number.POSITIVE_INFINITY : Math.floor(elapsedMs / intervalMs) + 1;
      const due = Math.min(total, paced, sent + MAX_CHUNK);
      if (due <= sent) {
        const untilNext = sent * intervalMs - elapsedMs;
        await sleep(Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, untilNext)));
        continue;
      }
      const records = take(options.topic, events, due - sent);
      await sendUntilTaken(producer, records, () => stopping);
      for (const record of records) file?.write(`${record.value}\n`);
      sent += records.length;
    }
  } finally {
    clearInterval(progress);
    await producer.disconnect();
    await closeFile(file);
  }
  const seconds = (performance.now() - began) / 1000;
  process.stderr.write(`done: sent ${sent} to ${options.topic} in ${seconds.toFixed(1)} s\n`);
}

/** The key commander gives an option's value: `--mood-shift` is `moodShift`. */
const camelCase = (name: string): string =>
  name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

const program = new Command('generate')
  .description('Produce synthetic, deterministic event streams to Kafka.')
  .exitOverride();

for (const { name, generator: stream, deprecatedNames = [] } of STREAMS) {
  const command = program
    .command(name)
    .description(stream.summary)
    .option('--rate <rate>', 'events per time unit, e.g. 100/min or 5000/s (default: depends on the stream)')
    .option('--count <n>', 'send exactly n events, then exit')
    .option('--duration <time>', 'send for this long at the rate, e.g. 30s or 5m, then exit')
    .option('--seed <seed>', 'seed of the generator: the same seed, start and rate give the same events', '1')
    .option('--start <iso>', 'event time of the first event, ISO-8601 with timezone (default: now)')
    .option(
      '--out <file>',
      stream.referenceData === undefined
        ? 'also write every event sent to this file, one JSON line each'
        : 'also write every event of the stream sent to this file, one JSON line each (not the reference data)',
    )
    .option(
      '--status-file <file>',
      'rewrite this file with {sent, at} on every progress line (health checks)',
    )
    .option('--burst', 'send as fast as Kafka takes them; event times stay spaced at --rate (backfills)')
    .option(
      '--brokers <list>',
      'Kafka brokers, host:port[,host:port...]',
      process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
    )
    .option('--topic <topic>', 'Kafka topic', stream.defaultTopic)
    .exitOverride();
  acceptDeprecatedNames(command, deprecatedNames, 'generate');
  for (const size of stream.sizeOptions) {
    command.option(`--${size.name} <n>`, size.description, String(size.defaultValue));
  }
  for (const text of stream.textOptions ?? []) {
    command.option(`--${text.name} <${text.placeholder}>`, text.description);
  }
  if (stream.referenceData !== undefined) {
    command
      .option(
        '--reference-topic <topic>',
        'Kafka topic of the reference data (created compacted if missing)',
        stream.referenceData.topic,
      )
      .option('--no-reference-data', 'do not send the reference data before the stream');
  }
  type RawOptions = RawRunOptions & {
    statusFile?: string;
    referenceTopic?: string;
    referenceData?: boolean;
  } & Record<string, string>;
  command.action(async (raw: RawOptions) => {
    const sizes = Object.fromEntries(
      stream.sizeOptions.map((size) => [size.name, parseSize(size, raw[size.name]!)]),
    );
    const texts = Object.fromEntries(
      (stream.textOptions ?? []).map((text) => {
        const value = raw[camelCase(text.name)];
        if (value !== undefined) text.check(value);
        return [text.name, value];
      }),
    );
    const options = resolveRunOptions(raw, {
      rate: stream.defaultRate(sizes),
      topic: stream.defaultTopic,
      brokers: '127.0.0.1:9092',
      seed: '1',
      now: new Date(),
    });
    const reference =
      stream.referenceData === undefined || raw.referenceData === false
        ? undefined
        : {
            topic: raw.referenceTopic ?? stream.referenceData.topic,
            events: stream.referenceData.events(sizes),
          };
    await send(stream, options, sizes, texts, raw.statusFile, reference);
  });
}

await runCli(program, 'error');
