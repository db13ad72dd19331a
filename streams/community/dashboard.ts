import { COMMUNITY, NEGATIVE_EMOTIONS } from './schema.ts';
import {
  DASHBOARD_RANGE,
  api,
  byName,
  column,
  dashboard,
  panel,
  prometheus,
  prometheusLabelVariable,
  type FieldDefaults,
  statPanel,
  NO_THRESHOLDS,
} from '../../grafana/model.ts';

export const COMMUNITY_DASHBOARD_UID = 'community';

const RANGE = `${COMMUNITY.alertRangeMs / 60_000}m`;
const NEGATIVE = `emotion=~"${NEGATIVE_EMOTIONS.join('|')}"`;

/**
 * Per community, the share of its posts of the last 2 minutes whose emotion is negative, only
 * where it had at least the alert's minimum of posts: the alert rule's expression.
 */
export const NEGATIVE_SHARE_EXPR =
  `sum by (community) (increase(community_posts_total{${NEGATIVE}}[${RANGE}]))` +
  ` / sum by (community) (increase(community_posts_total[${RANGE}]))` +
  ` and on (community) sum by (community) (increase(community_posts_total[${RANGE}])) >= ${COMMUNITY.minPosts}`;

const SELECTED = 'community="$community"';

/** One community at a time: the query API answers for one. */
const communityVariable = {
  ...prometheusLabelVariable('community', 'Community', 'community_logged_in_users'),
  includeAll: false,
  multi: false,
  allValue: '',
};

const windows = (columns: string[], refId = 'A') =>
  api(
    '/api/community/windows',
    { community: '$community', ...DASHBOARD_RANGE },
    [column('window_start', 'timestamp'), ...columns.map((name) => column(name, 'number'))],
    refId,
    'windows',
  );

const SHARE_THRESHOLDS: FieldDefaults['thresholds'] = {
  mode: 'absolute',
  steps: [
    { color: 'green', value: null },
    { color: 'orange', value: COMMUNITY.negativeShare / 2 },
    { color: 'red', value: COMMUNITY.negativeShare },
  ],
};

const EMOTION_COLOURS: Record<string, string> = {
  joy: 'yellow',
  trust: 'green',
  surprise: 'purple',
  neutral: 'text',
  anger: 'red',
  sadness: 'blue',
  fear: 'orange',
};

const board = dashboard(
  {
    uid: COMMUNITY_DASHBOARD_UID,
    title: 'Community activity',
    description:
      'Stream 2: per community, 30 s windows of logged-in members, posts, likes, shares and comments, the emotion ' +
      'of its posts computed in the stream, and its most engaged posts.',
    tags: ['community'],
    variables: [communityVariable],
  },
  [
    statPanel(
      'Logged in now',
      `sum(community_logged_in_users{${SELECTED}})`,
      { unit: 'short', decimals: 0, min: 0, thresholds: NO_THRESHOLDS },
      'Members of $community logged in at the end of the newest closed 30 s window.',
    ),
    statPanel(
      'Posts/min',
      `sum(rate(community_posts_total{${SELECTED}}[$__rate_interval])) * 60`,
      { unit: 'short', decimals: 1, min: 0, thresholds: NO_THRESHOLDS },
      'Posts of $community committed per minute.',
    ),
    statPanel(
      `Negative posts, last ${RANGE}`,
      `sum(increase(community_posts_total{${SELECTED},${NEGATIVE}}[${RANGE}])) / sum(increase(community_posts_total{${SELECTED}}[${RANGE}]))`,
      { unit: 'percentunit', decimals: 0, min: 0, max: 1, thresholds: SHARE_THRESHOLDS },
      `Share of $community's posts of the last ${RANGE} whose emotion is anger, sadness or fear. The alert fires above ${COMMUNITY.negativeShare * 100} % with at least ${COMMUNITY.minPosts} posts.`,
    ),
    statPanel(
      'Mean valence, last 5 min',
      'sum(rate(community_text_valence_sum{kind="post"}[5m])) / sum(rate(community_text_valence_count{kind="post"}[5m]))',
      { unit: 'none', decimals: 2, min: -1, max: 1, thresholds: NO_THRESHOLDS },
      'Mean valence (-1 to 1, AFINN-165) of the posts of every community.',
    ),
    panel('timeseries', 'Logged-in members per window', [windows(['logged_in'])], {
      defaults: { unit: 'short', min: 0, decimals: 0 },
      description:
        'Members of $community logged in at the end of each 30 s window (from the stored windows).',
    }),
    panel(
      'timeseries',
      'Posts, likes, shares and comments per window',
      [windows(['posts', 'likes', 'shares', 'comments'])],
      {
        defaults: {
          unit: 'short',
          min: 0,
          decimals: 0,
          custom: { drawStyle: 'bars', fillOpacity: 70, stacking: { mode: 'normal' } },
        },
        description: 'What $community did in each 30 s window of event time.',
      },
    ),
    panel(
      'timeseries',
      'Emotion mix of posts per window',
      [windows(['joy', 'trust', 'surprise', 'neutral', 'sadness', 'fear', 'anger'])],
      {
        defaults: {
          unit: 'short',
          min: 0,
          decimals: 0,
          custom: { drawStyle: 'bars', fillOpacity: 80, stacking: { mode: 'normal' } },
        },
        overrides: Object.entries(EMOTION_COLOURS).map(([emotion, colour]) =>
          byName(emotion, { color: { mode: 'fixed', fixedColor: colour } }),
        ),
        description: "$community's posts of each window by the emotion computed from their text.",
      },
    ),
    panel('timeseries', 'Mean valence of posts per window', [windows(['valence_avg'])], {
      defaults: { unit: 'none', min: -1, max: 1, decimals: 2, custom: { thresholdsStyle: { mode: 'line' } } },
      description: 'Mean valence (-1 to 1) of the posts of each window of $community; empty without posts.',
    }),
    panel(
      'table',
      'Most engaged posts',
      [
        api(
          '/api/community/posts/top',
          { community: '$community', ...DASHBOARD_RANGE, limit: '10' },
          [
            column('rank', 'number'),
            column('text'),
            column('emotion'),
            column('valence', 'number'),
            column('likes', 'number'),
            column('shares', 'number'),
            column('comments', 'number'),
            column('engagement', 'number'),
            column('user_id'),
          ],
          'A',
          'posts',
        ),
      ],
      {
        width: 24,
        height: 10,
        overrides: [byName('text', { 'custom.width': 520 }), byName('valence', { decimals: 2 })],
        description: "$community's posts with the most likes, shares and comments in the dashboard's range.",
      },
    ),
    panel(
      'timeseries',
      `Share of negative posts by community (alert above ${COMMUNITY.negativeShare * 100} %)`,
      [prometheus(NEGATIVE_SHARE_EXPR, '{{community}}')],
      {
        defaults: {
          unit: 'percentunit',
          min: 0,
          max: 1,
          thresholds: SHARE_THRESHOLDS,
          custom: { thresholdsStyle: { mode: 'dashed' } },
        },
        description: `Every community with at least ${COMMUNITY.minPosts} posts in the last ${RANGE}: the alert rule's own expression.`,
      },
    ),
    panel(
      'timeseries',
      'Events/s by kind',
      [prometheus('sum by (kind) (rate(community_events_total[$__rate_interval]))', '{{kind}}')],
      {
        defaults: { unit: 'reqps', min: 0 },
        description: 'Community events committed per second, every community.',
      },
    ),
  ],
);

/** Refreshed every 5 s: the windows close every 30 s, the rates move faster. */
export const community = { ...board, refresh: '5s' };
