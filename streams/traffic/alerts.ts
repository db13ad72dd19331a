import type { AlertRuleSpec } from '../../grafana/alerts.ts';
import { SURGE_ALERT_FOR_SECONDS, SURGE_ALERT_RATIO, TRAFFIC_DASHBOARD_UID } from './dashboard.ts';

/** Traffic's alert rules, provisioned with the shared ones by grafana/generate.ts. */
export const trafficAlertRules: AlertRuleSpec[] = [
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
];
