import type { AlertRuleSpec } from '../../grafana/alerts.ts';
import { HASHTAGS_DASHBOARD_UID, TREND_ALERT_RATIO } from './dashboard.ts';

/** Hashtags's alert rules, provisioned with the shared ones by grafana/generate.ts. */
export const hashtagsAlertRules: AlertRuleSpec[] = [
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
];
