/**
 * The community definitions computed the plain way, straight from a list of events in the order
 * they were sent: what the tests hold the processor's rows against. Emotions come from the same
 * library call on the same texts.
 */
import { bucketStart } from '../../../common/time.ts';
import { analyzeText } from '../emotion.ts';
import {
  COMMUNITY,
  EMOTIONS,
  type CommunityEvent,
  type CommunityTables,
  type EmotionCounts,
} from '../schema.ts';

/** A window's figures: its row without the key. */
export type WindowFacts = Omit<CommunityTables['windows'], 'community' | 'day' | 'window_start'>;

export interface Reference {
  /** Keyed `<community>|<window start ms>`. */
  windows: Map<string, WindowFacts>;
  /** Keyed `<community>|<window start ms>|<post id>`: [likes, shares, comments]. */
  engagement: Map<string, [number, number, number]>;
  /** Every post's totals and the event time of its last engagement (its own time if none). */
  totals: Map<string, { likes: number; shares: number; comments: number; last: number }>;
  /** Logouts of members not logged in: the events the stream must dead-letter. */
  loneLogouts: CommunityEvent[];
}

const noActivity = (): WindowFacts & { valenceMilli: number } => ({
  logged_in: 0,
  logins: 0,
  posts: 0,
  likes: 0,
  shares: 0,
  comments: 0,
  valence_avg: null,
  valenceMilli: 0,
  ...(Object.fromEntries(EMOTIONS.map((emotion) => [emotion, 0])) as EmotionCounts),
});

export function reference(events: readonly CommunityEvent[]): Reference {
  const window = (time: number) => bucketStart(time, COMMUNITY.windowMs);
  const sessions = new Map<string, { login: number; logout: number }[]>();
  const counts = new Map<string, WindowFacts & { valenceMilli: number }>();
  const engagement = new Map<string, [number, number, number]>();
  const totals: Reference['totals'] = new Map();
  const loneLogouts: CommunityEvent[] = [];
  const communities = new Set<string>();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    const time = Date.parse(event.event_time);
    const memberKey = `${event.community}|${event.user_id}`;
    const memberSessions = sessions.get(memberKey) ?? [];
    const open = memberSessions.at(-1)?.logout === Number.POSITIVE_INFINITY;
    if (event.kind === 'logout' && !open) {
      loneLogouts.push(event);
      continue;
    }
    communities.add(event.community);
    first = Math.min(first, time);
    last = Math.max(last, time);
    const key = `${event.community}|${window(time)}`;
    const facts = counts.get(key) ?? noActivity();
    counts.set(key, facts);
    if (event.kind === 'login') {
      facts.logins += 1;
      if (!open) memberSessions.push({ login: time, logout: Number.POSITIVE_INFINITY });
      sessions.set(memberKey, memberSessions);
    } else if (event.kind === 'logout') {
      memberSessions.at(-1)!.logout = time;
    } else if (event.kind === 'post') {
      const { emotion, valenceMilli } = analyzeText(event.text);
      facts.posts += 1;
      facts[emotion] += 1;
      facts.valenceMilli += valenceMilli;
      totals.set(event.post_id, { likes: 0, shares: 0, comments: 0, last: time });
    } else {
      const plural = event.kind === 'like' ? 'likes' : event.kind === 'share' ? 'shares' : 'comments';
      facts[plural] += 1;
      const engagementKey = `${key}|${event.post_id}`;
      const entry = engagement.get(engagementKey) ?? [0, 0, 0];
      entry[event.kind === 'like' ? 0 : event.kind === 'share' ? 1 : 2] += 1;
      engagement.set(engagementKey, entry);
      const postTotals = totals.get(event.post_id);
      if (postTotals !== undefined) {
        postTotals[plural] += 1;
        postTotals.last = Math.max(postTotals.last, time);
      }
    }
  }
  const windows = new Map<string, WindowFacts>();
  for (let start = window(first); start <= last; start += COMMUNITY.windowMs) {
    const end = start + COMMUNITY.windowMs;
    for (const community of communities) {
      let loggedIn = 0;
      for (const [memberKey, memberSessions] of sessions) {
        if (!memberKey.startsWith(`${community}|`)) continue;
        if (memberSessions.some(({ login, logout }) => login < end && logout >= end)) loggedIn += 1;
      }
      const key = `${community}|${start}`;
      const facts = counts.get(key);
      if (facts === undefined && loggedIn === 0) continue;
      const { valenceMilli, ...rest } = facts ?? noActivity();
      windows.set(key, {
        ...rest,
        logged_in: loggedIn,
        valence_avg: rest.posts === 0 ? null : valenceMilli / rest.posts / 1000,
      });
    }
  }
  return { windows, engagement, totals, loneLogouts };
}
