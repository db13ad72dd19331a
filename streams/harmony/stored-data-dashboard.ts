import { DASHBOARD_RANGE, api, apiVariable, column, dashboard, panel } from '../../grafana/model.ts';
import { SCORE_THRESHOLDS } from './dashboard.ts';
import { droneVariable } from './dashboard.ts';

const personVariable = {
  ...apiVariable(
    'person',
    'Person',
    api('/api/leaderboard', { board: 'latest' }, [column('person_id')], 'persons'),
  ),
  includeAll: false,
};

export const storedData = dashboard(
  {
    uid: 'harmony-stored-data',
    title: 'Stored data',
    description:
      'What is stored in Cassandra, read through the query API: reports, score histories, batch tables.',
    tags: ['harmony', 'cassandra'],
    variables: [droneVariable, personVariable],
  },
  [
    panel(
      'table',
      'Recent reports',
      [
        api('/api/reports', { ...DASHBOARD_RANGE, limit: '100', drone: '$drone' }, [
          column('event_time', 'timestamp'),
          column('report_id'),
          column('drone_id'),
          column('lat', 'number'),
          column('lon', 'number'),
          column('persons_count', 'number'),
          column('low_count', 'number'),
          column('avg_score', 'number'),
        ]),
      ],
      { width: 24, height: 10, defaults: { decimals: 2 } },
    ),
    panel(
      'timeseries',
      'Score history of $person',
      [
        api('/api/persons/$person/scores', { ...DASHBOARD_RANGE, limit: '500' }, [
          column('event_time', 'timestamp'),
          column('harmony_score', 'number'),
        ]),
      ],
      {
        defaults: {
          min: 0,
          max: 10,
          thresholds: SCORE_THRESHOLDS,
          custom: { drawStyle: 'points', pointSize: 6 },
        },
      },
    ),
    panel(
      'table',
      'Top low-harmony persons (batch table)',
      [
        api('/api/leaderboard', { board: 'latest' }, [
          column('rank', 'number'),
          column('person_id'),
          column('name'),
          column('low_count', 'number'),
          column('avg_score', 'number'),
          column('computed_at', 'timestamp'),
        ]),
      ],
      { defaults: { decimals: 2 } },
    ),
    panel(
      'table',
      'Per-minute statistics (batch table)',
      [
        api('/api/report-stats', { ...DASHBOARD_RANGE, bucket_seconds: '60' }, [
          column('bucket_start', 'timestamp'),
          column('reports', 'number'),
          column('avg_score', 'number'),
          column('avg_persons_per_report', 'number'),
          column('avg_low_persons_per_report', 'number'),
        ]),
      ],
      { width: 24, defaults: { decimals: 3 } },
    ),
  ],
);
