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
} from '../../grafana/model.ts';

/** Thresholds for harmony scores: red below the low-score threshold, amber below 5, green above. */
export const SCORE_THRESHOLDS: FieldDefaults['thresholds'] = {
  mode: 'absolute',
  steps: [
    { color: 'red', value: null },
    { color: 'orange', value: 2 },
    { color: 'green', value: 5 },
  ],
};

/** The harmony pipeline's accepted and late reports (the processor runs every stream's pipeline). */
const REPORTS =
  'processor_records_total{pipeline="harmony",topic=~".*drone\\\\.reports",outcome=~"accepted|late"}';

export const droneVariable = apiVariable(
  'drone',
  'Drone',
  api('/api/drones', DASHBOARD_RANGE, [column('drone_id')], 'drones'),
);

export const harmonyOverview = dashboard(
  {
    uid: 'harmony',
    title: 'Harmony overview',
    description: 'Drone reports, distress alerts and harmony statistics (stream 1).',
    tags: ['harmony'],
    variables: [droneVariable],
  },
  [
    panel(
      'timeseries',
      'Reports and alerts per minute',
      [
        prometheus(`sum(rate(${REPORTS}[$__rate_interval])) * 60`, 'reports', 'A'),
        prometheus('sum(rate(harmony_alerts_total[$__rate_interval])) * 60', 'alerts', 'B'),
      ],
      {
        defaults: { unit: 'short', min: 0 },
        description: 'Accepted reports and the alerts they raised, per minute.',
      },
    ),
    panel(
      'timeseries',
      'Average harmony score',
      [
        prometheus(
          'sum(rate(harmony_score_sum[$__rate_interval])) / sum(rate(harmony_score_count[$__rate_interval]))',
          'streaming',
          'A',
        ),
        prometheus('harmony_bucket_average_score', 'batch (latest complete minute)', 'B'),
      ],
      { defaults: { unit: 'none', decimals: 2, min: 0, max: 10, thresholds: SCORE_THRESHOLDS } },
    ),
    panel(
      'timeseries',
      'Average persons per report',
      [
        prometheus(
          `sum(rate(harmony_score_count[$__rate_interval])) / sum(rate(${REPORTS}[$__rate_interval]))`,
          'streaming',
          'A',
        ),
        prometheus('harmony_bucket_persons_per_report', 'batch (latest complete minute)', 'B'),
      ],
      { width: 8, defaults: { unit: 'none', decimals: 2, min: 0 } },
    ),
    panel(
      'timeseries',
      'Average persons below 2 per report',
      [prometheus('harmony_bucket_low_persons_per_report', 'batch (latest complete minute)')],
      { width: 8, defaults: { unit: 'none', decimals: 3, min: 0 } },
    ),
    panel(
      'heatmap',
      'Score distribution over time',
      [
        prometheus(
          'sum by (le) (increase(harmony_score_bucket[$__rate_interval]))',
          '{{le}}',
          'A',
          'heatmap',
        ),
      ],
      {
        width: 8,
        options: { calculate: false, yAxis: { unit: 'none' }, color: { scheme: 'RdYlGn', mode: 'scheme' } },
      },
    ),
    panel(
      'geomap',
      'Drones and their alerts',
      [
        api('/api/drones', DASHBOARD_RANGE, [
          column('drone_id'),
          column('lat', 'number'),
          column('lon', 'number'),
          column('reports', 'number'),
          column('alerts', 'number'),
          column('last_seen', 'timestamp'),
        ]),
      ],
      {
        width: 14,
        height: 12,
        defaults: {
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: 'green', value: null },
              { color: 'orange', value: 1 },
              { color: 'red', value: 3 },
            ],
          },
        },
        options: {
          view: { id: 'coords', lat: 48.86, lon: 2.35, zoom: 10 },
          controls: { showZoom: true, mouseWheelZoom: true },
          layers: [
            {
              type: 'markers',
              name: 'Drones',
              location: { mode: 'coords', latitude: 'lat', longitude: 'lon' },
              config: {
                size: { field: 'alerts', min: 4, max: 16, fixed: 5 },
                color: { field: 'alerts', fixed: 'green' },
                text: { field: 'drone_id', mode: 'field', fixed: '' },
              },
              tooltip: true,
            },
          ],
        },
      },
    ),
    panel(
      LEADERBOARD_PANEL,
      'Top 10 low-harmony persons',
      [
        api('/api/leaderboard', { board: 'latest', recent: '20' }, [
          column('rank', 'number'),
          column('person_id'),
          column('name'),
          column('low_count', 'number'),
          column('avg_score', 'number'),
          column('recent_scores'),
        ]),
      ],
      {
        width: 10,
        height: 12,
        defaults: { decimals: 2 },
        overrides: [
          byName('name', { displayName: 'Person' }),
          // The bar counts low scores: one colour, not the score thresholds (a high count is bad).
          byName('low_count', {
            displayName: 'Low scores',
            decimals: 0,
            color: { mode: 'fixed', fixedColor: 'orange' },
          }),
          byName('avg_score', {
            displayName: 'Avg score',
            thresholds: SCORE_THRESHOLDS,
            color: { mode: 'thresholds' },
          }),
          // Scores are 0 to 10: the strips share that scale.
          byName('recent_scores', { displayName: 'Recent', min: 0, max: 10 }),
        ],
        options: {
          labelField: 'name',
          valueField: 'low_count',
          secondaryFields: ['avg_score'],
          seriesField: 'recent_scores',
          limit: 10,
          sortBy: 'none',
          showHeader: true,
        },
        description:
          'Most low scores (below 2) in the last 24 h; ties by lower average score. From the batch job.',
      },
    ),
    panel(
      'table',
      'Recent reports of drone $drone',
      [
        api('/api/reports', { ...DASHBOARD_RANGE, limit: '50', drone: '$drone' }, [
          column('event_time', 'timestamp'),
          column('report_id'),
          column('drone_id'),
          column('persons_count', 'number'),
          column('low_count', 'number'),
          column('avg_score', 'number'),
        ]),
      ],
      { width: 24, defaults: { decimals: 2 } },
    ),
  ],
);
