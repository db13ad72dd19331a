/**
 * The surge definitions computed the plain way, straight from a list of page views: what the
 * tests hold the processor's rows and top lists against.
 */
import { MINUTE_MS, bucketStart } from '../../../common/time.ts';
import { compareSurges, SURGE, surgeRatio, type SurgeEntry } from '../schema.ts';

export interface View {
  business_id: string;
  time: number;
}

/** Views per business per minute of event time, keyed `<business>|<minute start ms>`. */
export function viewsPerMinute(views: View[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { business_id, time } of views) {
    const key = `${business_id}|${bucketStart(time, MINUTE_MS)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The top list at step t by the definitions: views_60s, trailing_avg, surge, ranked. */
export function topAt(views: View[], step: number): SurgeEntry[] {
  const recentFrom = step - SURGE.recentMs;
  const trailingFrom = recentFrom - SURGE.trailingMs;
  const recent = new Map<string, number>();
  const trailing = new Map<string, number>();
  for (const { business_id, time } of views) {
    if (time >= recentFrom && time < step) recent.set(business_id, (recent.get(business_id) ?? 0) + 1);
    else if (time >= trailingFrom && time < recentFrom)
      trailing.set(business_id, (trailing.get(business_id) ?? 0) + 1);
  }
  const entries: SurgeEntry[] = [];
  for (const [business_id, views60s] of recent) {
    if (views60s < SURGE.minRecentViews) continue;
    const trailingAvg = (trailing.get(business_id) ?? 0) / (SURGE.trailingMs / MINUTE_MS);
    entries.push({
      business_id,
      views_60s: views60s,
      trailing_avg: trailingAvg,
      surge: surgeRatio(views60s, trailingAvg),
    });
  }
  return entries.sort(compareSurges).slice(0, SURGE.topN);
}
