import type { AlertRuleSpec } from '../../grafana/alerts.ts';
import { BOLLINGER_ALERT_BARS, MARKETS_DASHBOARD_UID } from './dashboard.ts';

/** Markets's alert rules, provisioned with the shared ones by grafana/generate.ts. */
export const marketsAlertRules: AlertRuleSpec[] = [
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
];
