import { AROON, BOLLINGER } from './schema.ts';
import {
  DASHBOARD_RANGE,
  api,
  apiVariable,
  byName,
  column,
  dashboard,
  panel,
  prometheus,
  ANY_IS_BAD,
} from '../../grafana/model.ts';

export const MARKETS_DASHBOARD_UID = 'markets';
export const BOLLINGER_ALERT_BARS = BOLLINGER.alertBars;

const BOTH = 'pipeline=~"bollinger|aroon"';

/** One symbol's bars in the dashboard's range, with both indicators. */
const bars = (columns: ReturnType<typeof column>[]) =>
  api(
    '/api/markets/$symbol/bars',
    DASHBOARD_RANGE,
    [column('bar_start', 'timestamp'), ...columns],
    'A',
    'bars',
  );

/** The symbol shown: every symbol seen, read when the dashboard loads; the first is preselected. */
export const symbolVariable = {
  ...apiVariable(
    'symbol',
    'Symbol',
    api('/api/markets/symbols', {}, [column('symbol')], 'symbols', 'symbols'),
  ),
  includeAll: false,
  refresh: 1 as const,
  allowCustomValue: true,
  description: 'Any symbol the markets pipelines have seen; another may be typed.',
};

const BAND_LINE = {
  'custom.lineWidth': 1,
  'custom.fillOpacity': 0,
  'custom.lineStyle': { fill: 'dash', dash: [6, 4] },
};

export const markets = {
  ...dashboard(
    {
      uid: MARKETS_DASHBOARD_UID,
      title: 'Markets',
      description:
        `OHLCV bars of one symbol (stream 5) with its Bollinger bands (${BOLLINGER.periods}-bar SMA ± ` +
        `${BOLLINGER.widths} σ) and its Aroon (${AROON.periods}) up, down and oscillator; the two pipelines ` +
        'reading market.bars, each in its own consumer group.',
      tags: ['markets'],
      variables: [symbolVariable],
    },
    [
      panel(
        'candlestick',
        '$symbol with Bollinger bands',
        [
          bars([
            column('open', 'number'),
            column('high', 'number'),
            column('low', 'number'),
            column('close', 'number'),
            column('volume', 'number'),
            column('bollinger_upper', 'number'),
            column('bollinger_middle', 'number'),
            column('bollinger_lower', 'number'),
          ]),
        ],
        {
          width: 24,
          height: 12,
          description:
            `Candles from the open, high, low and close of each bar, volume below them. The bands overlaid: ` +
            `the ${BOLLINGER.periods}-bar simple moving average of the close ± ${BOLLINGER.widths} population ` +
            `standard deviations; none until ${BOLLINGER.periods} bars exist. ${BOLLINGER_ALERT_BARS} closes in a row ` +
            'outside the bands raise the alert.',
          defaults: { unit: 'currencyUSD', decimals: 2, custom: { spanNulls: false } },
          overrides: [
            byName('bollinger_upper', {
              displayName: 'upper band',
              color: { mode: 'fixed', fixedColor: 'purple' },
              ...BAND_LINE,
            }),
            byName('bollinger_middle', {
              displayName: `SMA ${BOLLINGER.periods}`,
              color: { mode: 'fixed', fixedColor: 'orange' },
              'custom.lineWidth': 1,
            }),
            byName('bollinger_lower', {
              displayName: 'lower band',
              color: { mode: 'fixed', fixedColor: 'purple' },
              ...BAND_LINE,
            }),
            byName('volume', { unit: 'short', decimals: 0 }),
          ],
          options: {
            mode: 'candles+volume',
            candleStyle: 'candles',
            colorStrategy: 'open-close',
            colors: { up: 'green', down: 'red' },
            includeAllFields: true,
            fields: { open: 'open', high: 'high', low: 'low', close: 'close', volume: 'volume' },
            legend: { showLegend: true, displayMode: 'list', placement: 'bottom' },
          },
        },
      ),
      panel(
        'timeseries',
        `$symbol Aroon (${AROON.periods})`,
        [
          bars([
            column('aroon_up', 'number'),
            column('aroon_down', 'number'),
            column('aroon_oscillator', 'number'),
          ]),
        ],
        {
          width: 24,
          height: 8,
          description:
            `Aroon up = 100 × (${AROON.periods} − bars since the highest high of the last ${AROON.periods + 1} bars) / ` +
            `${AROON.periods}, down likewise with the lowest low (on a tie the most recent extreme counts); the ` +
            'oscillator is up − down, drawn as bars.',
          defaults: { unit: 'none', min: -100, max: 100, decimals: 0 },
          overrides: [
            byName('aroon_up', { displayName: 'Aroon up', color: { mode: 'fixed', fixedColor: 'green' } }),
            byName('aroon_down', { displayName: 'Aroon down', color: { mode: 'fixed', fixedColor: 'red' } }),
            byName('aroon_oscillator', {
              displayName: 'oscillator',
              color: { mode: 'fixed', fixedColor: 'blue' },
              'custom.drawStyle': 'bars',
              'custom.fillOpacity': 40,
            }),
          ],
        },
      ),
      panel(
        'timeseries',
        'Bars/s consumed, by pipeline',
        [
          prometheus(
            `sum by (pipeline) (rate(processor_records_total{${BOTH},outcome="accepted"}[$__rate_interval]))`,
            '{{pipeline}}',
          ),
        ],
        {
          width: 8,
          defaults: { unit: 'reqps', min: 0 },
          description:
            'Each pipeline reads all of market.bars in its own consumer group: the two lines should match.',
        },
      ),
      panel(
        'timeseries',
        'Consumer lag, by pipeline',
        [prometheus(`sum by (pipeline) (processor_consumer_lag{${BOTH}})`, '{{pipeline}}')],
        {
          width: 8,
          defaults: { unit: 'short', min: 0, decimals: 0 },
          description: 'Bars of market.bars not yet committed by each pipeline’s consumer group.',
        },
      ),
      panel(
        'timeseries',
        'Dead letters and late bars/s, by pipeline',
        [
          prometheus(
            `sum by (pipeline, outcome) (rate(processor_records_total{${BOTH},outcome=~"rejected|late"}[$__rate_interval])) or vector(0)`,
            '{{pipeline}} {{outcome}}',
          ),
        ],
        {
          width: 8,
          defaults: { unit: 'reqps', min: 0, thresholds: ANY_IS_BAD },
          description:
            'Inconsistent bars (dead letters, market.bars.<pipeline>.dlq) and bars older than the grace ' +
            '(market.bars.<pipeline>.late): each pipeline keeps its own.',
        },
      ),
      panel(
        'timeseries',
        'Closes in a row outside the Bollinger bands, by symbol',
        [prometheus('max by (symbol) (markets_bollinger_outside_bars) or vector(0)', '{{symbol}}')],
        {
          width: 12,
          defaults: {
            unit: 'short',
            min: 0,
            decimals: 0,
            thresholds: {
              mode: 'absolute',
              steps: [
                { color: 'green', value: null },
                { color: 'red', value: BOLLINGER_ALERT_BARS },
              ],
            },
            custom: { thresholdsStyle: { mode: 'dashed' } },
          },
          description: `The dashed line is the alert: ${BOLLINGER_ALERT_BARS} closes in a row outside the bands.`,
        },
      ),
      panel(
        'timeseries',
        'Results rewritten for bars out of order/s, by pipeline',
        [
          prometheus(
            'sum by (pipeline) (rate(markets_recomputed_results_total[$__rate_interval]))',
            '{{pipeline}}',
          ),
        ],
        {
          width: 12,
          defaults: { unit: 'reqps', min: 0 },
          description:
            'A bar arriving after later bars of its symbol (within the grace) is placed by bar time; the results ' +
            'of the bars after it whose window holds it are computed again and rewritten.',
        },
      ),
    ],
  ),
  time: { from: 'now-15m', to: 'now' },
  refresh: '5s',
};
