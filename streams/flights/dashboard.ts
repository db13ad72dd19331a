import { FLIGHTS } from './schema.ts';
import {
  api,
  byName,
  column,
  dashboard,
  panel,
  prometheus,
  type FieldDefaults,
  statPanel,
  ANY_IS_BAD,
  NO_THRESHOLDS,
} from '../../grafana/model.ts';

export const FLIGHTS_DASHBOARD_UID = 'flights';

const RECORDS = 'pipeline="flights",topic=~".*flights\\\\.records"';
/** The day the dashboard shows: the one holding the end of its time range (today, by default). */
const DAY = { day: '${__to}' };
const ON_TIME_PERCENT = FLIGHTS.alertOnTimeShare;

const ON_TIME_THRESHOLDS: FieldDefaults['thresholds'] = {
  mode: 'absolute',
  steps: [
    { color: 'red', value: null },
    { color: 'orange', value: ON_TIME_PERCENT },
    { color: 'green', value: 0.75 },
  ],
};

const airlines = (refId = 'A') =>
  api(
    '/api/flights/airlines',
    DAY,
    [
      column('airline'),
      column('name'),
      column('flights', 'number'),
      column('cancelled', 'number'),
      column('diverted', 'number'),
      column('on_time_share', 'number'),
      column('departure_delay_mean', 'number'),
      column('departure_delay_median', 'number'),
      column('departure_delay_p90', 'number'),
      column('arrival_delay_mean', 'number'),
      column('arrival_delay_median', 'number'),
      column('arrival_delay_p90', 'number'),
    ],
    refId,
    'airlines',
  );

const MINUTES = { unit: 'm', decimals: 1 };

const board = dashboard(
  {
    uid: FLIGHTS_DASHBOARD_UID,
    title: 'Flights',
    description:
      'Per airline per UTC day of scheduled departure (stream 5): flights, cancelled, diverted, on-time share and ' +
      'delay percentiles as the flights arrive, the busiest airports and routes.',
    tags: ['flights'],
  },
  [
    statPanel(
      'Flights today',
      'sum(max by (airline) (flights_airline_flights))',
      { unit: 'short', decimals: 0, min: 0, thresholds: NO_THRESHOLDS },
      "Every airline's flights of the current day, cancelled and diverted included.",
    ),
    statPanel(
      'Lowest on-time share today',
      'min(max by (airline) (flights_airline_on_time_ratio))',
      { unit: 'percentunit', decimals: 1, min: 0, max: 1, thresholds: ON_TIME_THRESHOLDS },
      `The airline furthest behind: completed flights arriving at most ${FLIGHTS.onTimeMaxArrivalDelayMinutes} min late, of its completed flights today. The alert fires below ${ON_TIME_PERCENT * 100} % with at least ${FLIGHTS.alertMinFlights} flights.`,
    ),
    statPanel(
      'Late flight records/s',
      `sum(rate(processor_records_total{${RECORDS},outcome="late"}[$__rate_interval])) or vector(0)`,
      { unit: 'reqps', decimals: 2, min: 0, thresholds: ANY_IS_BAD },
      'Records of a day already closed (its end plus the grace): kept in flights.records.late, not counted.',
    ),
    statPanel(
      'Dead letters/s',
      'sum(rate(processor_dead_letters_total{pipeline="flights"}[$__rate_interval])) or vector(0)',
      { unit: 'reqps', decimals: 2, min: 0, thresholds: ANY_IS_BAD },
      'Invalid flight records (unknown airline or airport, inconsistent times, missing fields) sent to flights.records.dlq.',
    ),
    panel('barchart', 'Flights per airline on the day', [airlines()], {
      width: 12,
      height: 9,
      description:
        'From the stored figures of the day holding the end of the time range; cancelled and diverted beside.',
      defaults: { unit: 'short', min: 0 },
      overrides: [byName('flights', { displayName: 'Flights' })],
      options: {
        xField: 'airline',
        orientation: 'horizontal',
        stacking: 'none',
        showValue: 'auto',
        legend: { showLegend: true, displayMode: 'list', placement: 'bottom' },
        tooltip: { mode: 'multi' },
      },
      transformations: [
        {
          id: 'organize',
          options: {
            excludeByName: {
              name: true,
              on_time_share: true,
              departure_delay_mean: true,
              departure_delay_median: true,
              departure_delay_p90: true,
              arrival_delay_mean: true,
              arrival_delay_median: true,
              arrival_delay_p90: true,
            },
          },
        },
      ],
    }),
    panel(
      'timeseries',
      'On-time share by airline today',
      [prometheus('max by (airline) (flights_airline_on_time_ratio)', '{{airline}}')],
      {
        width: 12,
        height: 9,
        defaults: {
          unit: 'percentunit',
          min: 0,
          max: 1,
          thresholds: ON_TIME_THRESHOLDS,
          custom: { thresholdsStyle: { mode: 'dashed' } },
        },
        description: `Completed flights arriving at most ${FLIGHTS.onTimeMaxArrivalDelayMinutes} min late; the dashed line at ${ON_TIME_PERCENT * 100} % is the alert's.`,
      },
    ),
    panel('table', 'Delays per airline on the day (minutes)', [airlines()], {
      width: 14,
      height: 10,
      description:
        'Over the completed flights (neither cancelled nor diverted): mean, median and 90th percentile ' +
        "(simple-statistics' quantile: linear between the closest ranks).",
      defaults: { decimals: 1 },
      overrides: [
        byName('on_time_share', {
          displayName: 'On time',
          unit: 'percentunit',
          thresholds: ON_TIME_THRESHOLDS,
          'custom.cellOptions': { type: 'color-text' },
        }),
        byName('departure_delay_mean', { ...MINUTES, displayName: 'Dep mean' }),
        byName('departure_delay_median', { ...MINUTES, displayName: 'Dep median' }),
        byName('departure_delay_p90', { ...MINUTES, displayName: 'Dep p90' }),
        byName('arrival_delay_mean', { ...MINUTES, displayName: 'Arr mean' }),
        byName('arrival_delay_median', { ...MINUTES, displayName: 'Arr median' }),
        byName('arrival_delay_p90', { ...MINUTES, displayName: 'Arr p90' }),
      ],
      options: { showHeader: true, sortBy: [{ displayName: 'flights', desc: true }] },
    }),
    panel(
      'timeseries',
      'Arrival delay p90 by airline today',
      [
        prometheus(
          'max by (airline) (flights_airline_delay_minutes{delay="arrival",statistic="p90"})',
          '{{airline}}',
        ),
      ],
      {
        width: 10,
        height: 10,
        defaults: { unit: 'm' },
        description: "The 90th percentile of the arrival delays of each airline's completed flights today.",
      },
    ),
    panel(
      'geomap',
      'Airports by flights on the day',
      [
        api(
          '/api/flights/airports',
          DAY,
          [
            column('airport'),
            column('city'),
            column('lat', 'number'),
            column('lon', 'number'),
            column('departures', 'number'),
            column('arrivals', 'number'),
            column('flights', 'number'),
          ],
          'A',
          'airports',
        ),
      ],
      {
        width: 14,
        height: 13,
        description: 'Each airport sized and coloured by its departures and arrivals on the day.',
        defaults: { unit: 'short', color: { mode: 'continuous-BlYlRd' } },
        options: {
          view: { id: 'coords', lat: 38, lon: -97, zoom: 3.6 },
          controls: { showZoom: true, mouseWheelZoom: true },
          tooltip: { mode: 'details' },
          layers: [
            {
              type: 'markers',
              name: 'Airports',
              location: { mode: 'coords', latitude: 'lat', longitude: 'lon' },
              config: {
                size: { field: 'flights', min: 3, max: 25, fixed: 5 },
                color: { field: 'flights', fixed: 'blue' },
                text: { field: 'airport', mode: 'field', fixed: '' },
                textConfig: { fontSize: 10, offsetY: -12, textAlign: 'center', textBaseline: 'middle' },
              },
              tooltip: true,
            },
          ],
        },
      },
    ),
    panel(
      'table',
      'Busiest routes on the day',
      [
        api(
          '/api/flights/routes',
          { ...DAY, limit: '20' },
          [
            column('origin'),
            column('destination'),
            column('flights', 'number'),
            column('arrival_delay_mean', 'number'),
          ],
          'A',
          'routes',
        ),
      ],
      {
        width: 10,
        height: 13,
        description:
          "Every airline's flights on a route summed; the mean arrival delay over its completed flights.",
        overrides: [byName('arrival_delay_mean', { ...MINUTES, displayName: 'Mean arrival delay' })],
      },
    ),
    panel(
      'timeseries',
      'Flight records/s by outcome',
      [
        prometheus(
          `sum by (outcome) (rate(processor_records_total{${RECORDS}}[$__rate_interval]))`,
          '{{outcome}}',
        ),
      ],
      { width: 24, height: 7, defaults: { unit: 'reqps', min: 0 } },
    ),
  ],
);

/** Refreshed every 5 s: a day's figures change with every micro-batch. */
export const flights = { ...board, refresh: '5s' };
