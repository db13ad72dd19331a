import { COMMUNITY } from '../streams/community/schema.ts';
import { COMMUNITY_DASHBOARD_UID, NEGATIVE_SHARE_EXPR } from '../streams/community/dashboard.ts';
import {
  SURGE_ALERT_FOR_SECONDS,
  SURGE_ALERT_RATIO,
  TRAFFIC_DASHBOARD_UID,
} from '../streams/traffic/dashboard.ts';
import { BOLLINGER_ALERT_BARS, MARKETS_DASHBOARD_UID } from '../streams/markets/dashboard.ts';
import { HASHTAGS_DASHBOARD_UID, TREND_ALERT_RATIO } from '../streams/hashtags/dashboard.ts';
import { FLIGHTS } from '../streams/flights/schema.ts';
import { FLIGHTS_DASHBOARD_UID } from '../streams/flights/dashboard.ts';
import { PROMETHEUS } from './model.ts';

/** One Grafana-managed rule: a Prometheus query A, reduced to its last value B, compared in C. */
export interface AlertRuleSpec {
  uid: string;
  title: string;
  expr: string;
  /** The rule fires when the last value is `above` or `below` the threshold. */
  comparison: 'gt' | 'lt';
  threshold: number;
  for: string;
  summary: string;
  /** What the expression measures, when the title does not say it all. */
  description?: string;
  runbook: string;
  severity: 'warning' | 'critical';
  /** What no data means: "not scraped" rules fire on silence, the others do not. */
  noDataState: 'OK' | 'Alerting' | 'NoData';
}

export const ALERT_RATE_THRESHOLD_PER_MINUTE = 20;
export const PERSON_LOW_SCORES_THRESHOLD = 5;

export const alertRules: AlertRuleSpec[] = [
  {
    uid: 'harmony-alert-rate',
    title: 'Harmony alert rate high',
    expr: 'sum(rate(harmony_alerts_total[5m])) * 60',
    comparison: 'gt',
    threshold: ALERT_RATE_THRESHOLD_PER_MINUTE,
    for: '2m',
    summary: `More than ${ALERT_RATE_THRESHOLD_PER_MINUTE} distress alerts per minute (about 5 are normal at the default rate).`,
    runbook:
      'Open Harmony overview: find the drones on the map with the most alerts, then their recent reports.',
    severity: 'critical',
    noDataState: 'OK',
  },
  {
    uid: 'harmony-person-low-scores',
    title: 'Person often in distress',
    expr: 'max by (person_id) (harmony_top_low_person_low_scores)',
    comparison: 'gt',
    threshold: PERSON_LOW_SCORES_THRESHOLD,
    for: '0s',
    summary: `Person {{ $labels.person_id }} scored below 2 more than ${PERSON_LOW_SCORES_THRESHOLD} times in the batch window.`,
    runbook:
      'Open Stored data, pick the person: check their score history and the drones that reported them.',
    severity: 'warning',
    noDataState: 'OK',
  },
  {
    uid: 'traffic-business-surging',
    title: 'Business surging',
    expr: 'max(traffic_surge_sustained_seconds)',
    comparison: 'gt',
    // Steps are 10 s apart: a run of steps that began 120 s ago reads 120, one step less reads 110.
    threshold: SURGE_ALERT_FOR_SECONDS - 1,
    for: '0s',
    summary: `A business has been above ${SURGE_ALERT_RATIO}× its trailing average of page views for ${SURGE_ALERT_FOR_SECONDS / 60} minutes (the longest surge now: {{ humanize $values.B.Value }} s).`,
    description:
      `traffic_surge_sustained_seconds is, of the current global top 10 (refreshed every 10 s), the time since the ` +
      `longest-surging business's run above ${SURGE_ALERT_RATIO}× its trailing average began, counted only while ` +
      `it stays above at every step and in the top 10. The processor keeps that run per business, exactly once ` +
      `with its other state: the ratio of the number 1 alone would fire at nearly every step in the default ` +
      `stack, as chance gives some quiet business of 200,000 six views in a minute against an average under one.`,
    runbook: `Open Web traffic surges (/d/${TRAFFIC_DASHBOARD_UID}): the map and the ranked list show who; click it for its views against its trailing average.`,
    severity: 'warning',
    noDataState: 'OK',
  },
  {
    uid: 'markets-close-outside-bands',
    title: 'Close outside the Bollinger bands',
    expr: 'max by (symbol) (markets_bollinger_outside_bars)',
    comparison: 'gt',
    threshold: BOLLINGER_ALERT_BARS - 1,
    for: '0s',
    summary: `{{ $labels.symbol }} has closed outside its Bollinger bands for {{ $values.B.Value }} bars in a row (the alert needs ${BOLLINGER_ALERT_BARS}).`,
    description:
      'markets_bollinger_outside_bars is, per symbol, how many of its newest closes in a row lie outside ' +
      'their own bands (20-bar SMA ± 2 population standard deviations); the bollinger pipeline sets it once ' +
      'each bar is committed and drops the series when a close is back inside.',
    runbook: `Open Markets (/d/${MARKETS_DASHBOARD_UID}) with that symbol: the candles against the bands, and Aroon for the trend's direction.`,
    severity: 'warning',
    noDataState: 'OK',
  },
  {
    uid: 'hashtags-trending',
    title: 'Hashtag trending',
    expr: 'max by (hashtag) (hashtags_trend_ratio)',
    comparison: 'gt',
    threshold: TREND_ALERT_RATIO,
    for: '0s',
    summary: `#{{ $labels.hashtag }} has more than ${TREND_ALERT_RATIO}× its previous hour's posts in the last 5 minutes ({{ humanize $values.B.Value }}×).`,
    description:
      'hashtags_trend_ratio is, for the 10 most trending hashtags of the newest 10 s step, posts in the last 5 minutes ' +
      "of event time over the hashtag's average per 5 minutes in the hour before (at least 10, so a rare hashtag needs " +
      'more than 100 posts to trend), computed exactly once by the processor.',
    runbook: `Open Hashtags and places (/d/${HASHTAGS_DASHBOARD_UID}): type the hashtag into the variable to see its posts per minute.`,
    severity: 'warning',
    noDataState: 'OK',
  },
  {
    uid: 'flights-airline-on-time-low',
    title: 'Airline on-time share low',
    expr:
      'max by (airline) (flights_airline_on_time_ratio)' +
      ` and on (airline) (max by (airline) (flights_airline_flights) >= ${FLIGHTS.alertMinFlights})`,
    comparison: 'lt',
    threshold: FLIGHTS.alertOnTimeShare,
    for: '0s',
    summary: `{{ $labels.airline }} has flown at least ${FLIGHTS.alertMinFlights} flights today and only {{ humanizePercentage $values.B.Value }} of its completed ones arrived on time (below ${FLIGHTS.alertOnTimeShare * 100} %).`,
    description:
      `flights_airline_on_time_ratio is, per airline, the share of its completed flights (neither cancelled nor diverted) ` +
      `of the current UTC day of scheduled departure that arrived at most ${FLIGHTS.onTimeMaxArrivalDelayMinutes} min late; ` +
      `flights_airline_flights counts all its flights of that day. One alert per airline.`,
    runbook: `Open Flights (/d/${FLIGHTS_DASHBOARD_UID}): the delays table shows which delays grew; the map where it flies most.`,
    severity: 'warning',
    noDataState: 'OK',
  },
  {
    uid: 'community-negative-mood',
    title: 'Community in a negative mood',
    expr: NEGATIVE_SHARE_EXPR,
    comparison: 'gt',
    threshold: COMMUNITY.negativeShare,
    for: '0s',
    summary: `{{ $labels.community }}: {{ humanizePercentage $values.B.Value }} of its posts of the last ${COMMUNITY.alertRangeMs / 60_000} minutes are angry, sad or fearful (alert above ${COMMUNITY.negativeShare * 100} % with at least ${COMMUNITY.minPosts} posts).`,
    description:
      'Per community, the posts of the last 2 minutes whose emotion (computed in the stream from their text) is ' +
      'anger, sadness or fear, over all its posts of those minutes; communities with fewer posts than the minimum ' +
      'have no value, so that three angry posts out of four do not page anyone.',
    runbook: `Open Community activity (/d/${COMMUNITY_DASHBOARD_UID}) on that community: the emotion mix per window and its most engaged posts show what the mood is about.`,
    severity: 'warning',
    noDataState: 'OK',
  },
  {
    uid: 'pipeline-consumer-lag',
    title: 'Consumer lag high',
    expr: 'max by (pipeline, topic) (processor_consumer_lag)',
    comparison: 'gt',
    threshold: 1000,
    for: '5m',
    summary:
      'The {{ $labels.pipeline }} pipeline is more than 1000 records behind on {{ $labels.topic }} for 5 minutes.',
    runbook:
      'Pipeline health: is the processor paused (Cassandra down) or CPU-bound? Scale out within the group.',
    severity: 'warning',
    noDataState: 'OK',
  },
  {
    uid: 'pipeline-service-down',
    title: 'Service down or not scraped',
    expr: 'min by (job) (up{job=~"processor|batch|notifier"})',
    comparison: 'lt',
    threshold: 1,
    for: '1m',
    summary: '{{ $labels.job }} does not answer Prometheus scrapes.',
    runbook: 'Check the service: docker compose ps / logs, or its log under .data/logs without Docker.',
    severity: 'critical',
    noDataState: 'Alerting',
  },
  {
    uid: 'pipeline-dlq-growing',
    title: 'Dead-letter topics growing',
    // Per pipeline; the notifier counts as one. `or on() vector(0)`: one zero series when no
    // dead-letter counter exists at all, so the rule always has a value.
    expr:
      'sum by (pipeline) (increase(processor_dead_letters_total[10m]))' +
      ' or label_replace(sum(increase(notifier_dead_letters_total[10m])), "pipeline", "notifier", "", "")' +
      ' or on() vector(0)',
    comparison: 'gt',
    threshold: 0,
    for: '0s',
    summary: 'Messages of {{ $labels.pipeline }} went to a dead-letter topic in the last 10 minutes.',
    runbook:
      'Read <source topic>.dlq (drone.reports.dlq, traffic.pageviews.dlq, posts.raw.dlq, flights.records.dlq; market.bars.<pipeline>.dlq for a topic several pipelines read; harmony.alerts.dlq for the notifier): each letter names its reason and origin offset.',
    severity: 'warning',
    noDataState: 'OK',
  },
  {
    uid: 'batch-results-stale',
    title: 'Batch results stale',
    expr: 'time() - max(batch_job_last_success_timestamp_seconds)',
    comparison: 'gt',
    threshold: 300,
    for: '0s',
    summary: 'No batch job has succeeded for more than 5 minutes.',
    runbook: 'Check the batch service log: Cassandra reachable? A run that never ends shows as skipped runs.',
    severity: 'warning',
    noDataState: 'Alerting',
  },
];

function provisionedRule(rule: AlertRuleSpec) {
  return {
    uid: rule.uid,
    title: rule.title,
    condition: 'C',
    data: [
      {
        refId: 'A',
        relativeTimeRange: { from: 600, to: 0 },
        datasourceUid: PROMETHEUS.uid,
        model: {
          refId: 'A',
          expr: rule.expr,
          instant: true,
          range: false,
          intervalMs: 1000,
          maxDataPoints: 43200,
        },
      },
      {
        refId: 'B',
        datasourceUid: '__expr__',
        model: { refId: 'B', type: 'reduce', expression: 'A', reducer: 'last' },
      },
      {
        refId: 'C',
        datasourceUid: '__expr__',
        model: {
          refId: 'C',
          type: 'threshold',
          expression: 'B',
          conditions: [{ evaluator: { type: rule.comparison, params: [rule.threshold] } }],
        },
      },
    ],
    for: rule.for,
    noDataState: rule.noDataState,
    execErrState: 'Error',
    annotations: {
      summary: rule.summary,
      ...(rule.description !== undefined && { description: rule.description }),
      runbook: rule.runbook,
    },
    labels: { severity: rule.severity },
  };
}

/** Grafana's file-provisioned alerting: the rule group, the Discord contact point, the policy. */
export function alertingProvisioning() {
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: 'streaming-stack',
        folder: 'Streaming stack',
        interval: '1m',
        rules: alertRules.map(provisionedRule),
      },
    ],
    contactPoints: [
      {
        orgId: 1,
        name: 'discord',
        receivers: [
          {
            uid: 'discord',
            type: 'discord',
            // Grafana substitutes environment variables in provisioning files.
            settings: { url: '$DISCORD_WEBHOOK_URL', use_discord_username: false },
          },
        ],
      },
    ],
    policies: [{ orgId: 1, receiver: 'discord', group_by: ['alertname', 'severity'] }],
  };
}
