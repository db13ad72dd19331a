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

/** The rules of the stack itself, whatever streams run: lag, scrapes, dead letters, batch freshness. */
export const stackAlertRules: AlertRuleSpec[] = [
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
      'Read <source topic>.dlq (<source topic>.<pipeline>.dlq for a topic several pipelines read; <alerts topic>.dlq for the notifier): each letter names its reason and origin offset.',
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
export function alertingProvisioning(rules: readonly AlertRuleSpec[]) {
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: 'streaming-stack',
        folder: 'Streaming stack',
        interval: '1m',
        rules: rules.map(provisionedRule),
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
