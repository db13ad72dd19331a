import type { AlertRuleSpec } from '../../grafana/alerts.ts';

export const ALERT_RATE_THRESHOLD_PER_MINUTE = 20;
export const PERSON_LOW_SCORES_THRESHOLD = 5;

/** Harmony's alert rules, provisioned with the shared ones by grafana/generate.ts. */
export const harmonyAlertRules: AlertRuleSpec[] = [
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
];
