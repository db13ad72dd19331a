import { fileURLToPath } from 'node:url';
/**
 * Community activity (stream 2): the events of a community app, topics, the window definitions,
 * emotions and typed table rows shared by the generator, the processor's topology and the query API.
 */
import { fail, ok, type Result } from '../../common/result.ts';
import { SECOND_MS } from '../../common/time.ts';
import {
  all,
  decodeObject,
  DEFAULT_EVENT_TIME_RANGE,
  isoTime,
  oneOf,
  text,
  type EventTimeRange,
  type Json,
} from '../../common/decode.ts';

/** Every event of the app, keyed by community: one community's events stay in order in one partition. */
export const COMMUNITY_EVENTS_TOPIC = 'community.events';

export const EVENT_KINDS = ['login', 'logout', 'post', 'like', 'share', 'comment'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** The emotions a text is classified into; `neutral` when no emotion word is found. */
export const EMOTIONS = ['joy', 'trust', 'anger', 'sadness', 'fear', 'surprise', 'neutral'] as const;
export type Emotion = (typeof EMOTIONS)[number];
/** The emotions whose share of posts the negative-mood alert watches. */
export const NEGATIVE_EMOTIONS: readonly Emotion[] = ['anger', 'sadness', 'fear'];

/** The definitions of the stream's windows and alert; README "Community activity" documents each. */
export const COMMUNITY = {
  /** Tumbling event-time windows of this size, per community. */
  windowMs: 30 * SECOND_MS,
  /** The alert: a community whose share of negative posts over `alertRangeMs` is above this... */
  negativeShare: 0.6,
  /** ...with at least this many posts in the range. */
  minPosts: 20,
  alertRangeMs: 120 * SECOND_MS,
} as const;

interface BaseEvent {
  /** Unique per event: a comment's own id. */
  event_id: string;
  community: string;
  user_id: string;
  /** ISO 8601 with offset. */
  event_time: string;
}

export type SessionEvent = (BaseEvent & { kind: 'login' }) | (BaseEvent & { kind: 'logout' });
export interface PostEvent extends BaseEvent {
  kind: 'post';
  post_id: string;
  text: string;
}
/** A like or a share of a post, which may be older than anything the stream holds. */
export type EngagementEvent =
  (BaseEvent & { kind: 'like'; post_id: string }) | (BaseEvent & { kind: 'share'; post_id: string });
export interface CommentEvent extends BaseEvent {
  kind: 'comment';
  /** The post commented on. */
  post_id: string;
  text: string;
}
export type CommunityEvent = SessionEvent | PostEvent | EngagementEvent | CommentEvent;

export const MAX_EVENT_BYTES = 8 * 1024;
/** Posts and comments: longer texts are refused, not cut. */
export const MAX_TEXT_CHARS = 1000;
const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

function id(json: Json, field: string): Result<string> {
  const value = text(json, field, 64);
  if (!value.ok) return value;
  return ID.test(value.value)
    ? value
    : fail(`invalid field ${field}: expected letters, digits, '_', '.', ':' or '-' (at most 64)`);
}

/** A community event, checked field by field; the reason names the first thing wrong, for a dead letter. */
export function parseCommunityEvent(
  bytes: Buffer | string | null,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Result<CommunityEvent> {
  const decoded = decodeObject(bytes, MAX_EVENT_BYTES);
  if (!decoded.ok) return decoded;
  const json = decoded.value;
  const base = all({
    kind: oneOf(json, 'kind', EVENT_KINDS),
    event_id: id(json, 'event_id'),
    community: id(json, 'community'),
    user_id: id(json, 'user_id'),
    event_time: isoTime(json, 'event_time', eventTimes),
  });
  if (!base.ok) return base;
  const { kind, event_time, ...rest } = base.value;
  const common = { ...rest, event_time: event_time.text };
  switch (kind) {
    case 'login':
    case 'logout':
      return ok({ ...common, kind });
    case 'like':
    case 'share': {
      const post = id(json, 'post_id');
      return post.ok ? ok({ ...common, kind, post_id: post.value }) : post;
    }
    case 'post':
    case 'comment': {
      const fields = all({ post_id: id(json, 'post_id'), text: text(json, 'text', MAX_TEXT_CHARS) });
      return fields.ok ? ok({ ...common, kind, ...fields.value }) : fields;
    }
  }
}

export const COMMUNITY_KEYSPACE = 'community';

/** Counts of each emotion, in the order of `EMOTIONS`, as the window rows store them. */
export type EmotionCounts = Record<Emotion, number>;

/** Typed rows of streams/community/schema.cql: the processor writes them, the query API reads them. */
export interface CommunityTables {
  /** One community's 30 s window, written once when it closes; partitioned by (community, day). */
  windows: {
    community: string;
    day: Date;
    window_start: Date;
    logged_in: number;
    logins: number;
    posts: number;
    likes: number;
    shares: number;
    comments: number;
    /** Mean valence of the window's posts, null without posts. */
    valence_avg: number | null;
  } & EmotionCounts;
  /** A post with its emotion, written when it arrives. */
  posts: {
    post_id: string;
    community: string;
    user_id: string;
    created_at: Date;
    text: string;
    emotion: Emotion;
    valence: number;
  };
  /** A post's engagement since it was posted, as absolute totals when a window with some of it closes. */
  post_totals: { post_id: string; likes: number; shares: number; comments: number };
  /** The engagement of posts in one window, absolute; what "most engaged posts in a range" sums. */
  post_engagement: {
    community: string;
    day: Date;
    window_start: Date;
    post_id: string;
    likes: number;
    shares: number;
    comments: number;
  };
}

/** This stream's CQL schema: the processor applies it at start, Docker and npm start alike. */
export const SCHEMA_FILE = fileURLToPath(new URL('./schema.cql', import.meta.url));
