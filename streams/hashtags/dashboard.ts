import { TOP, TREND } from './schema.ts';
import {
  DASHBOARD_RANGE,
  LEADERBOARD_PANEL,
  api,
  apiVariable,
  byName,
  column,
  dashboard,
  panel,
  prometheus,
  type FieldDefaults,
  statPanel,
  NO_THRESHOLDS,
  RATIO,
  ANY_IS_BAD,
} from '../../grafana/model.ts';

export const HASHTAGS_DASHBOARD_UID = 'hashtags';
export const TREND_ALERT_RATIO = TREND.alertRatio;

const POSTS = 'pipeline="hashtags",topic=~".*posts\\\\.raw"';
const USES = 'pipeline="hashtags",topic=~".*hashtags\\\\.uses-by-tag"';
const TOP_N = String(TOP.topN);
const WINDOW_MINUTES = TOP.windowMs / 60_000;

/** The global top 10 of the step at the end of the dashboard range. */
const top = (refId = 'A') =>
  api(
    '/api/hashtags/top',
    { at: DASHBOARD_RANGE.to },
    [column('rank', 'number'), column('hashtag'), column('count', 'number')],
    refId,
    'top',
  );

/**
 * The hashtag whose counts are drawn: listed from the current top 10 when the dashboard loads
 * (the first is preselected); any hashtag may be typed.
 */
export const hashtagVariable = {
  ...apiVariable(
    'hashtag',
    'Hashtag',
    api('/api/hashtags/top', { at: DASHBOARD_RANGE.to }, [column('hashtag')], 'hashtags', 'top'),
  ),
  includeAll: false,
  refresh: 1 as const,
  allowCustomValue: true,
  description: 'Any hashtag may be typed, with or without #, in any case.',
};

const TREND_THRESHOLDS: FieldDefaults['thresholds'] = {
  mode: 'absolute',
  steps: [
    { color: 'green', value: null },
    { color: 'orange', value: TREND_ALERT_RATIO / 2 },
    { color: 'red', value: TREND_ALERT_RATIO },
  ],
};

export const hashtags = dashboard(
  {
    uid: HASHTAGS_DASHBOARD_UID,
    title: 'Hashtags and places',
    description:
      `Posts and their hashtags (stream 4): the top ${TOP_N} hashtags over the last ${WINDOW_MINUTES} minutes, ` +
      'where posts come from, one hashtag over time, and the trends the alert watches.',
    tags: ['hashtags'],
    variables: [hashtagVariable],
  },
  [
    statPanel(
      'Posts/s accepted',
      `sum(rate(processor_records_total{${POSTS},outcome="accepted"}[$__rate_interval]))`,
      { unit: 'reqps', decimals: 1, min: 0, thresholds: NO_THRESHOLDS },
      'Posts the hashtags pipeline accepted, per second.',
    ),
    statPanel(
      'Hashtag updates/s',
      `sum(rate(processor_records_total{${USES},outcome="accepted"}[$__rate_interval]))`,
      { unit: 'reqps', decimals: 1, min: 0, thresholds: NO_THRESHOLDS },
      'Uses of a hashtag counted per second (one per distinct hashtag of a post), after the repartition by hashtag.',
    ),
    statPanel(
      'Dead letters/s',
      'sum(rate(processor_dead_letters_total{pipeline="hashtags"}[$__rate_interval])) or vector(0)',
      {
        unit: 'reqps',
        decimals: 2,
        min: 0,
        thresholds: ANY_IS_BAD,
      },
      'Posts sent to posts.raw.dlq (more than 5 hashtags, unknown country, lat/lon out of range, no text, not JSON), per second.',
    ),
    statPanel(
      'Top trend ratio',
      'max(hashtags_trend_ratio) or vector(0)',
      { ...RATIO, min: 0, thresholds: TREND_THRESHOLDS },
      `The most trending hashtag: posts in the last ${WINDOW_MINUTES} minutes over its previous hour's average per ${WINDOW_MINUTES} minutes (at least ${TREND.minBaseline}). The alert fires above ${TREND_ALERT_RATIO}×.`,
    ),
    panel(LEADERBOARD_PANEL, `Top ${TOP_N} hashtags, last ${WINDOW_MINUTES} minutes`, [top()], {
      width: 8,
      height: 14,
      defaults: { color: { mode: 'fixed', fixedColor: 'text' }, decimals: 0 },
      overrides: [byName('count', { displayName: 'Posts' })],
      description: `Posts per hashtag in [t − ${WINDOW_MINUTES} min, t) at the newest 10 s step t, ranked by posts then hashtag, merged across partitions.`,
      options: {
        labelField: 'hashtag',
        valueField: 'count',
        secondaryFields: [],
        limit: TOP.topN,
        sortBy: 'none',
        showHeader: true,
      },
    }),
    panel(
      'geomap',
      'Where posts come from',
      [
        api(
          '/api/places',
          { ...DASHBOARD_RANGE, level: 'city' },
          [
            column('place'),
            column('country'),
            column('lat', 'number'),
            column('lon', 'number'),
            column('count', 'number'),
          ],
          'A',
        ),
      ],
      {
        width: 16,
        height: 14,
        defaults: { color: { mode: 'continuous-BlPu' }, decimals: 0 },
        description: 'A bubble per city, sized and coloured by its posts over the dashboard range.',
        options: {
          view: { id: 'zero', lat: 20, lon: 0, zoom: 1.5, allLayers: true },
          controls: { showZoom: true, mouseWheelZoom: true },
          tooltip: { mode: 'details' },
          layers: [
            {
              type: 'markers',
              name: 'Posts per city',
              location: { mode: 'coords', latitude: 'lat', longitude: 'lon' },
              config: {
                size: { field: 'count', min: 2, max: 30, fixed: 5 },
                color: { field: 'count', fixed: 'blue' },
                fillOpacity: 0.5,
                showLegend: true,
              },
              tooltip: true,
            },
          ],
        },
      },
    ),
    panel(
      'timeseries',
      'Posts per minute with #$hashtag',
      [
        api(
          '/api/hashtags/$hashtag/counts',
          DASHBOARD_RANGE,
          [column('minute', 'timestamp'), column('count', 'number')],
          'A',
          'minutes',
        ),
      ],
      {
        width: 12,
        height: 9,
        defaults: { unit: 'short', min: 0, custom: { drawStyle: 'bars', fillOpacity: 60, lineWidth: 1 } },
        description:
          'Posts carrying the selected hashtag, per minute of event time, as stored when the minute closed.',
      },
    ),
    panel(
      'timeseries',
      'Trend ratio of the most trending hashtags',
      [prometheus('max by (hashtag) (hashtags_trend_ratio)', '#{{hashtag}}')],
      {
        width: 12,
        height: 9,
        defaults: {
          ...RATIO,
          min: 0,
          thresholds: TREND_THRESHOLDS,
          custom: { thresholdsStyle: { mode: 'dashed' } },
        },
        description: `The ${TREND.reported} highest ratios at each step; the dashed line at ${TREND_ALERT_RATIO}× is the alert.`,
      },
    ),
    panel(
      'timeseries',
      'Posts/s by outcome, and dead letters',
      [
        prometheus(
          `sum by (outcome) (rate(processor_records_total{${POSTS}}[$__rate_interval]))`,
          '{{outcome}}',
          'A',
        ),
        prometheus(
          'sum(rate(processor_dead_letters_total{pipeline="hashtags"}[$__rate_interval])) or vector(0)',
          'dead letters',
          'B',
        ),
      ],
      { width: 12, defaults: { unit: 'reqps', min: 0 } },
    ),
    panel(
      'timeseries',
      'Top-10 posts by rank',
      [prometheus('max by (rank) (hashtags_top_posts)', '#{{rank}}')],
      {
        width: 12,
        defaults: { unit: 'short', min: 0, decimals: 0 },
        description: `Posts in the last ${WINDOW_MINUTES} minutes of the current global top ${TOP_N}, by rank.`,
      },
    ),
  ],
);
