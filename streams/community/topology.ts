/**
 * Community activity (stream 2): per community, 30 s tumbling windows of event time with the
 * members logged in at the window's end, the logins, posts, likes, shares and comments in it and
 * the emotion mix of its posts; every post stored with its emotion, and its engagement as
 * absolute totals when a window with some of it closes.
 *
 * Events are keyed by community, so a community's events and its members' sessions live in one
 * task. A member's session state outlives windows: it is kept per (community, member) as the
 * event times of their logins and logouts, so that "logged in at the end of a window" is decided
 * by event time, whatever order the events of a grace period came in. A second login while
 * logged in changes nothing; a logout while not logged in is a dead letter, decided against the
 * state the changelog restores, so a replay decides it the same way.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { bucketOf, DAY_MS, MINUTE_MS } from '../../common/time.ts';
import { analyzeText } from './emotion.ts';
import {
  COMMUNITY,
  COMMUNITY_EVENTS_TOPIC,
  COMMUNITY_KEYSPACE,
  EMOTIONS,
  parseCommunityEvent,
  type CommunityEvent,
  type CommunityTables,
  type Emotion,
  type EmotionCounts,
  SCHEMA_FILE,
} from './schema.ts';
import { DEFAULT_EVENT_TIME_RANGE, type EventTimeRange } from '../../common/decode.ts';
import type { KeyValueStore } from '../../processor/dsl/store.ts';
import {
  ACCEPTED,
  source,
  tableRows,
  type Emitter,
  type Outcome,
  type PartitionProcessor,
  type TaskContext,
  type Topology,
} from '../../processor/dsl/topology.ts';
import { WindowCloser } from '../../processor/dsl/windows.ts';

export interface CommunitySettings {
  /** How long after a window's end its events may still arrive and be counted. */
  graceMs: number;
  /** How long a post's totals are kept after its last like, share or comment (see README). */
  postRetentionMs: number;
}

export const DEFAULT_COMMUNITY_SETTINGS: CommunitySettings = {
  graceMs: 10_000,
  postRetentionMs: 60 * MINUTE_MS,
};

const row = tableRows<CommunityTables>();

/**
 * A member's sessions in a community: login and logout times, oldest first, flattened for a
 * compact changelog. An odd length means logged in now. Sessions that ended before every window
 * still open are pruned.
 */
type Sessions = number[];

/** What one community did in one window, until the window closes. */
interface WindowActivity {
  logins: number;
  posts: number;
  likes: number;
  shares: number;
  comments: number;
  /** Sum of the posts' valences, in thousandths: exact. */
  valence: number;
  /** Posts by emotion, in `EMOTIONS` order. */
  emotions: number[];
  /** Engagement of each post in the window: [likes, shares, comments]. */
  engagement: Record<string, [number, number, number]>;
}

/** A post the state saw posted: its engagement so far, and the event time of the last of it. */
type PostTotals = [likes: number, shares: number, comments: number, lastActivity: number];

const emptyActivity = (): WindowActivity => ({
  logins: 0,
  posts: 0,
  likes: 0,
  shares: 0,
  comments: 0,
  valence: 0,
  emotions: EMOTIONS.map(() => 0),
  engagement: {},
});

/** Whether sessions contain the instant `at`: logged in before it, not logged out before it. */
export function loggedInAt(sessions: Sessions, at: number): boolean {
  for (let index = 0; index < sessions.length; index += 2) {
    const logout = sessions[index + 1] ?? Number.POSITIVE_INFINITY;
    if (sessions[index]! < at && logout >= at) return true;
  }
  return false;
}

const ENGAGEMENT_SLOT = { like: 0, share: 1, comment: 2 } as const;

interface CommunityMetrics {
  events: Counter<'kind'>;
  posts: Counter<'community' | 'emotion'>;
  valence: Histogram<'kind'>;
  loggedIn: Gauge<'community'>;
  windows: Counter;
  /** The community label of a community: the first `MAX_COMMUNITY_LABELS` seen, then `other`. */
  label(community: string): string;
}

/** A bound on the series of the per-community metrics, whatever the events name. */
export const MAX_COMMUNITY_LABELS = 100;

class CommunityActivityProcessor implements PartitionProcessor<CommunityEvent> {
  private readonly sessions: KeyValueStore<Sessions>;
  private readonly windows: KeyValueStore<WindowActivity>;
  private readonly posts: KeyValueStore<PostTotals>;
  private readonly closer: WindowCloser;

  constructor(
    private readonly task: TaskContext,
    private readonly settings: CommunitySettings,
    private readonly metrics: CommunityMetrics,
  ) {
    this.sessions = task.store('sessions');
    this.windows = task.store('windows');
    this.posts = task.store('posts');
    this.closer = new WindowCloser(task.store('closed'), 'window', {
      sizeMs: COMMUNITY.windowMs,
      graceMs: settings.graceMs,
    });
  }

  process(event: CommunityEvent, eventTime: number, out: Emitter): Outcome {
    const late = this.closer.lateness(eventTime);
    if (late !== undefined) return { accepted: false, late };
    const sessionKey = `${event.community}|${event.user_id}`;
    const sessions = this.sessions.get(sessionKey) ?? [];
    const loggedIn = sessions.length % 2 === 1;
    if (event.kind === 'logout' && !loggedIn) {
      return {
        accepted: false,
        invalid: `logout without login: ${event.user_id} is not logged in to ${event.community} (event ${event.event_id})`,
      };
    }
    const windowKey = `${event.community}|${this.closer.windowStart(eventTime)}`;
    const activity = this.windows.get(windowKey) ?? emptyActivity();
    let emotion: Emotion | undefined;
    let valenceMilli = 0;
    switch (event.kind) {
      case 'login':
        activity.logins += 1;
        // A second login while logged in (another device) is the same session.
        if (!loggedIn) this.sessions.put(sessionKey, [...sessions, eventTime]);
        break;
      case 'logout':
        this.sessions.put(sessionKey, [...sessions, eventTime]);
        break;
      case 'post': {
        ({ emotion, valenceMilli } = analyzeText(event.text));
        activity.posts += 1;
        activity.valence += valenceMilli;
        activity.emotions[EMOTIONS.indexOf(emotion)]! += 1;
        this.posts.put(event.post_id, [0, 0, 0, eventTime]);
        out.row(
          row('posts', {
            post_id: event.post_id,
            community: event.community,
            user_id: event.user_id,
            created_at: new Date(eventTime),
            text: event.text,
            emotion,
            valence: valenceMilli / 1000,
          }),
        );
        out.stored(eventTime);
        break;
      }
      case 'like':
      case 'share':
      case 'comment': {
        if (event.kind === 'comment') ({ emotion, valenceMilli } = analyzeText(event.text));
        const slot = ENGAGEMENT_SLOT[event.kind];
        activity[event.kind === 'like' ? 'likes' : event.kind === 'share' ? 'shares' : 'comments'] += 1;
        const engagement = activity.engagement[event.post_id] ?? [0, 0, 0];
        engagement[slot] += 1;
        activity.engagement[event.post_id] = engagement;
        // A post older than the state is engaged with all the same; only its totals are unknown.
        const totals = this.posts.get(event.post_id);
        if (totals !== undefined) {
          totals[slot] += 1;
          totals[3] = Math.max(totals[3], eventTime);
          this.posts.put(event.post_id, totals);
        }
        break;
      }
    }
    this.windows.put(windowKey, activity);
    const { kind, community } = event;
    out.afterCommit(() => {
      this.metrics.events.inc({ kind });
      if (emotion === undefined) return;
      this.metrics.valence.observe({ kind }, valenceMilli / 1000);
      if (kind === 'post') this.metrics.posts.inc({ community: this.metrics.label(community), emotion });
    });
    return ACCEPTED;
  }

  advance(out: Emitter): void {
    const closed = this.closer.close(this.task.streamTime);
    if (closed === undefined) return;
    for (let end = closed.first; end <= closed.last; end += COMMUNITY.windowMs) {
      this.closeWindow(end - COMMUNITY.windowMs, out);
    }
    this.evict(closed.last);
  }

  private closeWindow(start: number, out: Emitter): void {
    const end = start + COMMUNITY.windowMs;
    const loggedIn = new Map<string, number>();
    for (const [key, sessions] of this.sessions.entries()) {
      if (!loggedInAt(sessions, end)) continue;
      const community = key.slice(0, key.indexOf('|'));
      loggedIn.set(community, (loggedIn.get(community) ?? 0) + 1);
    }
    const active = new Map<string, WindowActivity>();
    for (const [key, activity] of this.windows.entries()) {
      const at = key.lastIndexOf('|');
      if (Number(key.slice(at + 1)) === start) active.set(key.slice(0, at), activity);
    }
    const windowStart = new Date(start);
    const day = bucketOf(windowStart, DAY_MS);
    for (const community of new Set([...active.keys(), ...loggedIn.keys()])) {
      const activity = active.get(community) ?? emptyActivity();
      const emotions = Object.fromEntries(
        EMOTIONS.map((emotion, index) => [emotion, activity.emotions[index]!]),
      ) as EmotionCounts;
      out.row(
        row('windows', {
          community,
          day,
          window_start: windowStart,
          logged_in: loggedIn.get(community) ?? 0,
          logins: activity.logins,
          posts: activity.posts,
          likes: activity.likes,
          shares: activity.shares,
          comments: activity.comments,
          valence_avg: activity.posts === 0 ? null : activity.valence / activity.posts / 1000,
          ...emotions,
        }),
      );
      for (const [post_id, [likes, shares, comments]] of Object.entries(activity.engagement)) {
        out.row(
          row('post_engagement', {
            community,
            day,
            window_start: windowStart,
            post_id,
            likes,
            shares,
            comments,
          }),
        );
        const totals = this.posts.get(post_id);
        if (totals !== undefined) {
          out.row(row('post_totals', { post_id, likes: totals[0], shares: totals[1], comments: totals[2] }));
        }
      }
      this.windows.delete(`${community}|${start}`);
    }
    out.stored(start + COMMUNITY.windowMs / 2);
    out.afterCommit(() => {
      for (const [community, count] of loggedIn)
        this.metrics.loggedIn.set({ community: this.metrics.label(community) }, count);
      for (const community of active.keys()) {
        if (!loggedIn.has(community))
          this.metrics.loggedIn.set({ community: this.metrics.label(community) }, 0);
      }
      this.metrics.windows.inc();
    });
  }

  /**
   * Sessions that ended before `closedUpTo` can no longer contain the end of a window still to
   * close; posts without engagement for the retention period go.
   */
  private evict(closedUpTo: number): void {
    for (const [key, sessions] of [...this.sessions.entries()]) {
      let keepFrom = 0;
      while (keepFrom + 1 < sessions.length && sessions[keepFrom + 1]! < closedUpTo) keepFrom += 2;
      if (keepFrom === 0) continue;
      if (keepFrom === sessions.length) this.sessions.delete(key);
      else this.sessions.put(key, sessions.slice(keepFrom));
    }
    const postsFrom = closedUpTo - this.settings.postRetentionMs;
    for (const [postId, totals] of [...this.posts.entries()]) {
      if (totals[3] < postsFrom) this.posts.delete(postId);
    }
  }
}

export function createCommunityTopology(
  registry: Registry,
  settings: CommunitySettings = DEFAULT_COMMUNITY_SETTINGS,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Topology {
  const registers = [registry];
  const labelled = new Set<string>();
  const metrics: CommunityMetrics = {
    events: new Counter({
      name: 'community_events_total',
      help: 'Community events committed, by kind.',
      labelNames: ['kind'] as const,
      registers,
    }),
    posts: new Counter({
      name: 'community_posts_total',
      help: 'Posts committed, by community and the emotion computed from their text.',
      labelNames: ['community', 'emotion'] as const,
      registers,
    }),
    valence: new Histogram({
      name: 'community_text_valence',
      help: 'Valence (-1 to 1, AFINN-165) of the texts of committed posts and comments, by kind.',
      labelNames: ['kind'] as const,
      buckets: [-0.75, -0.5, -0.25, -0.0001, 0.0001, 0.25, 0.5, 0.75, 1],
      registers,
    }),
    loggedIn: new Gauge({
      name: 'community_logged_in_users',
      help: 'Members logged in at the end of the newest closed 30 s window, by community.',
      labelNames: ['community'] as const,
      registers,
    }),
    windows: new Counter({
      name: 'community_windows_closed_total',
      help: '30 s windows closed and committed (each covers every community of a partition).',
      registers,
    }),
    label(community) {
      if (labelled.has(community)) return community;
      if (labelled.size >= MAX_COMMUNITY_LABELS) return 'other';
      labelled.add(community);
      return community;
    },
  };
  return {
    name: 'community',
    schema: { file: SCHEMA_FILE, keyspace: COMMUNITY_KEYSPACE },
    sources: [
      source<CommunityEvent>({
        topic: COMMUNITY_EVENTS_TOPIC,
        partitions: 3,
        stateful: true,
        decode: (record) => parseCommunityEvent(record.value, eventTimes),
        eventTime: (event) => Date.parse(event.event_time),
        processor: (task) => new CommunityActivityProcessor(task, settings, metrics),
      }),
    ],
    outputs: [],
  };
}
