import { SURGE } from './schema.ts';
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
  type DataLink,
  type FieldDefaults,
  statPanel,
  NO_THRESHOLDS,
  ANY_IS_BAD,
  RATIO,
} from '../../grafana/model.ts';

export const TRAFFIC_DASHBOARD_UID = 'traffic';
export const SURGE_ALERT_RATIO = SURGE.alertRatio;
export const SURGE_ALERT_FOR_SECONDS = SURGE.alertForMs / 1000;

const PAGE_VIEWS = 'pipeline="traffic",topic=~".*traffic\\\\.pageviews"';
const TOP_N = String(SURGE.topN);

/** The global top 10 of the step at the end of the dashboard range, ranked by the processor. */
const surges = (refId = 'A') =>
  api(
    '/api/traffic/surges',
    { at: DASHBOARD_RANGE.to },
    [
      column('rank', 'number'),
      column('business_id'),
      column('name'),
      column('category'),
      column('city'),
      column('country'),
      column('lat', 'number'),
      column('lon', 'number'),
      column('views_60s', 'number'),
      column('trailing_avg', 'number'),
      column('surge', 'number'),
    ],
    refId,
    'surges',
  );

/**
 * The business whose views are drawn. Listed from the current top 10 when the dashboard loads
 * (the first is preselected); a click on a business in the map or the ranked list sets it to any
 * business, which is kept: the list is not re-read on every refresh, so the choice survives the
 * top 10 moving on.
 */
export const businessVariable = {
  ...apiVariable(
    'business',
    'Business',
    api('/api/traffic/surges', { at: DASHBOARD_RANGE.to }, [column('business_id')], 'businesses', 'surges'),
  ),
  includeAll: false,
  refresh: 1 as const,
  allowCustomValue: true,
  description: 'Set by a click on a business in the map or the ranked list; any business id may be typed.',
};

/** Both views of the top 10 link a business to this dashboard with it selected. */
export const SELECT_BUSINESS: DataLink = {
  title: 'Show views of ${__data.fields.name}',
  url: `/d/${TRAFFIC_DASHBOARD_UID}?var-business=\${__data.fields.business_id}&\${__url_time_range}`,
};

const SURGE_THRESHOLDS: FieldDefaults['thresholds'] = {
  mode: 'absolute',
  steps: [
    { color: 'green', value: null },
    { color: 'orange', value: 3 },
    { color: 'red', value: SURGE_ALERT_RATIO },
  ],
};

/** The surge field coloured by the thresholds; every other number in plain text colour. */
const surgeFieldConfig = {
  defaults: { color: { mode: 'fixed', fixedColor: 'text' }, links: [SELECT_BUSINESS] },
  overrides: [
    byName('surge', {
      ...RATIO,
      displayName: 'Surge',
      thresholds: SURGE_THRESHOLDS,
      color: { mode: 'thresholds' },
    }),
    byName('name', { displayName: 'Business' }),
    byName('views_60s', { displayName: 'Views 60 s', decimals: 0 }),
    byName('trailing_avg', { displayName: 'Avg/min', decimals: 1 }),
    byName('city', { displayName: 'City' }),
  ],
};

/** One number of the row of stats (24 columns: four of 5, one of 4). */
const stat = (title: string, expr: string, defaults: FieldDefaults, description: string, width = 5) =>
  statPanel(title, expr, defaults, description, width);

export const traffic = dashboard(
  {
    uid: TRAFFIC_DASHBOARD_UID,
    title: 'Web traffic surges',
    description:
      `Businesses whose page views in the last 60 s most exceed their trailing ${SURGE.trailingMs / 60_000}-minute ` +
      `average (stream 3): the global top ${TOP_N} on a map and as a ranked list, a business's views, the pipeline's health.`,
    tags: ['traffic'],
    variables: [businessVariable],
  },
  [
    stat(
      'Page views/s accepted',
      `sum(rate(processor_records_total{${PAGE_VIEWS},outcome="accepted"}[$__rate_interval]))`,
      { unit: 'reqps', decimals: 1, min: 0, thresholds: NO_THRESHOLDS },
      'Page views the traffic pipeline accepted, per second.',
    ),
    stat(
      'Late page views/s',
      `sum(rate(processor_records_total{${PAGE_VIEWS},outcome="late"}[$__rate_interval])) or vector(0)`,
      { unit: 'reqps', decimals: 2, min: 0, thresholds: ANY_IS_BAD },
      'Page views that arrived after their step was ranked: counted in storage, not in the top 10.',
    ),
    stat(
      'Dead letters/s',
      'sum(rate(processor_dead_letters_total{pipeline="traffic"}[$__rate_interval])) or vector(0)',
      { unit: 'reqps', decimals: 2, min: 0, thresholds: ANY_IS_BAD },
      'Records of the traffic pipeline sent to a dead-letter topic (undecodable, invalid), per second.',
    ),
    stat(
      'Top surge ratio',
      'max(traffic_surge_ratio)',
      { ...RATIO, min: 0, thresholds: SURGE_THRESHOLDS },
      `The surge of the current number 1: views in the last 60 s over max(trailing average, 1). The alert needs one business above ${SURGE_ALERT_RATIO}× at every step for ${SURGE_ALERT_FOR_SECONDS / 60} minutes.`,
    ),
    stat(
      'Surging businesses',
      'max(traffic_surging_businesses)',
      {
        unit: 'short',
        decimals: 0,
        min: 0,
        max: SURGE.topN,
        thresholds: {
          mode: 'absolute',
          steps: [
            { color: 'green', value: null },
            { color: 'orange', value: 1 },
          ],
        },
      },
      `How many of the current top ${TOP_N} have been above ${SURGE_ALERT_RATIO}× their trailing average at every step for ${SURGE_ALERT_FOR_SECONDS / 60} minutes or more (what the alert asks).`,
      4,
    ),
    panel('geomap', `Top ${TOP_N} surging businesses`, [surges()], {
      width: 14,
      height: 13,
      ...surgeFieldConfig,
      description: 'Marker size and colour by surge. Click a marker, then its link, to show its views below.',
      options: {
        view: { id: 'fit', lat: 20, lon: 0, zoom: 12, allLayers: true, padding: 10 },
        controls: { showZoom: true, mouseWheelZoom: true },
        tooltip: { mode: 'details' },
        layers: [
          {
            type: 'markers',
            name: 'Surging businesses',
            location: { mode: 'coords', latitude: 'lat', longitude: 'lon' },
            config: {
              size: { field: 'surge', min: 5, max: 20, fixed: 5 },
              color: { field: 'surge', fixed: 'green' },
              text: { field: 'name', mode: 'field', fixed: '' },
              textConfig: { fontSize: 11, offsetY: -14, textAlign: 'center', textBaseline: 'middle' },
            },
            tooltip: true,
          },
        ],
      },
    }),
    panel(LEADERBOARD_PANEL, `Top ${TOP_N} by surge`, [surges()], {
      width: 10,
      height: 13,
      ...surgeFieldConfig,
      description:
        'Ranked by surge (views in the last 60 s over the trailing average per minute). Click a row to show its views.',
      options: {
        labelField: 'name',
        valueField: 'surge',
        secondaryFields: ['views_60s', 'trailing_avg', 'city'],
        limit: SURGE.topN,
        sortBy: 'none',
        showHeader: true,
      },
    }),
    panel(
      'timeseries',
      'Views per minute of $business against its trailing average',
      [
        api(
          '/api/traffic/businesses/$business/views',
          DASHBOARD_RANGE,
          [column('minute', 'timestamp'), column('views', 'number'), column('trailing_avg', 'number')],
          'A',
          'minutes',
        ),
      ],
      {
        width: 14,
        height: 9,
        defaults: { unit: 'short', min: 0, custom: { drawStyle: 'bars', fillOpacity: 60, lineWidth: 1 } },
        overrides: [
          byName('trailing_avg', {
            displayName: `trailing ${SURGE.trailingMs / 60_000}-min average`,
            'custom.drawStyle': 'line',
            'custom.lineWidth': 2,
            'custom.fillOpacity': 0,
            decimals: 1,
          }),
        ],
        description:
          'Page views of the selected business per minute of event time; the line is its trailing average.',
      },
    ),
    panel(
      'timeseries',
      `Surge of the top ${TOP_N} by rank`,
      [prometheus('max by (rank) (traffic_surge_ratio)', '#{{rank}}')],
      {
        width: 10,
        height: 9,
        defaults: {
          ...RATIO,
          min: 0,
          thresholds: SURGE_THRESHOLDS,
          custom: { thresholdsStyle: { mode: 'dashed' } },
        },
        description: `The dashed lines mark 3× and ${SURGE_ALERT_RATIO}× (the alert).`,
      },
    ),
    panel(
      'timeseries',
      'Page views/s by outcome, and dead letters',
      [
        prometheus(
          `sum by (outcome) (rate(processor_records_total{${PAGE_VIEWS}}[$__rate_interval]))`,
          '{{outcome}}',
          'A',
        ),
        prometheus(
          'sum(rate(processor_dead_letters_total{pipeline="traffic"}[$__rate_interval])) or vector(0)',
          'dead letters',
          'B',
        ),
      ],
      { defaults: { unit: 'reqps', min: 0 } },
    ),
    panel(
      'timeseries',
      'Top-10 steps committed per minute',
      [prometheus('sum(rate(traffic_top_steps_total[$__rate_interval])) * 60', 'steps/min')],
      {
        defaults: { unit: 'short', min: 0, decimals: 1 },
        description: `One global top ${TOP_N} every ${SURGE.stepMs / 1000} s: ${60_000 / SURGE.stepMs} a minute when the merge keeps up.`,
      },
    ),
  ],
);
