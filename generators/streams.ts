/** What a generator of a stream is: the CLI (generators/cli.ts) offers one subcommand per stream manifest. */
/** One Kafka message: the key chooses the partition, the value is exactly the bytes sent. */
export interface StreamEvent {
  key: string;
  value: string;
}

export interface EventTiming {
  seed: number;
  start: Date;
  intervalMs: number;
  /** How many events the run sends; undefined until stopped. Streams that plan ahead fit the plan in it. */
  count?: number | undefined;
}

/** A count-like option only one stream has, such as how many drones fly. */
export interface SizeOption {
  name: string;
  description: string;
  defaultValue: number;
  /** The smallest value accepted: 1 unless the option may be 0 (`--surges 0`). */
  min?: 0 | 1;
}

/** A text option only one stream has, such as `--trend TAG@MINUTE`. */
export interface TextOption {
  name: string;
  /** What the value looks like, for --help: `TAG@MINUTE`. */
  placeholder: string;
  description: string;
  /** Throws an OptionError with the one line the user sees when the text is wrong. */
  check(text: string): void;
}

/**
 * Data the events refer to, such as the catalogue of the businesses that page views name: sent
 * once before the stream, as fast as Kafka takes it, to its own topic. The CLI creates that topic
 * compacted (latest value per key), so every key must name one thing for good. It does not
 * depend on the seed.
 */
export interface ReferenceData {
  /** The default topic (`--reference-topic` chooses another). */
  topic: string;
  events(sizes: Record<string, number>): Iterable<StreamEvent>;
}

/** Everything the CLI needs to offer a stream as a subcommand, `generate <stream name>`. */
export interface StreamDefinition {
  summary: string;
  defaultTopic: string;
  sizeOptions: SizeOption[];
  /** Text options, given to `events` and `describeRun` as typed (absent when not given). */
  textOptions?: TextOption[];
  /** The default rate can follow the sizes: one report per drone per minute. */
  defaultRate(sizes: Record<string, number>): string;
  events(
    timing: EventTiming,
    sizes: Record<string, number>,
    texts?: Record<string, string | undefined>,
  ): Iterator<StreamEvent>;
  /** What the events refer to, sent first unless `--no-reference-data`. */
  referenceData?: ReferenceData;
  /** Lines a person watching the run wants first (printed to stderr), such as what will happen when. */
  describeRun?(
    timing: EventTiming,
    sizes: Record<string, number>,
    texts?: Record<string, string | undefined>,
  ): string[];
}
