import type { EventTiming, StreamDefinition, StreamEvent } from '../../generators/streams.ts';
import { MARKET_BARS_TOPIC } from './schema.ts';
import { bars, LISTINGS } from './ticks.ts';

const DEFAULT_BAR_INTERVAL_SECONDS = 1;

/** One bar per symbol per interval: the bar times follow `--interval`, the rate only paces the sending. */
function* barEvents(timing: EventTiming, sizes: Record<string, number>): Generator<StreamEvent> {
  const barIntervalMs = (sizes['interval'] ?? DEFAULT_BAR_INTERVAL_SECONDS) * 1000;
  for (const bar of bars({ seed: timing.seed, start: timing.start, barIntervalMs })) {
    yield { key: bar.symbol, value: JSON.stringify(bar) };
  }
}

export const marketsGenerator: StreamDefinition = {
  summary:
    `Markets: OHLCV bars of ${LISTINGS.length} listed symbols, one per symbol per interval, ` +
    'from a seeded random walk with volatility regimes and trends',
  defaultTopic: MARKET_BARS_TOPIC,
  sizeOptions: [
    {
      name: 'interval',
      description:
        'seconds between two bars of a symbol (bar times follow it; --rate only paces the sending, ' +
        'by default one interval of bars per interval)',
      defaultValue: DEFAULT_BAR_INTERVAL_SECONDS,
    },
  ],
  defaultRate: (sizes) =>
    `${(LISTINGS.length * 60) / (sizes['interval'] ?? DEFAULT_BAR_INTERVAL_SECONDS)}/min`,
  events: barEvents,
};
