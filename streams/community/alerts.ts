import type { AlertRuleSpec } from '../../grafana/alerts.ts';
import { COMMUNITY_DASHBOARD_UID, NEGATIVE_SHARE_EXPR } from './dashboard.ts';
import { COMMUNITY } from './schema.ts';

/** Community's alert rules, provisioned with the shared ones by grafana/generate.ts. */
export const communityAlertRules: AlertRuleSpec[] = [
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
];
