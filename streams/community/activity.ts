/**
 * A seeded community app: a few dozen communities, a few thousand members, each in one to three
 * communities. Members log in to one of their communities, post, like, share and comment there
 * for a session of a few minutes, and log out. Likes, shares and comments refer to recent posts
 * of the same community; texts come from the sentence bank, in a mood drawn per text.
 */
import { MINUTE_MS } from '../../common/time.ts';
import { EMOTIONS, type CommunityEvent, type Emotion } from './schema.ts';
import { OptionError } from '../../generators/options.ts';
import { mulberry32 } from '../../generators/random.ts';
import { MOOD_WEIGHTS, SENTENCES } from './sentences.ts';

export const COMMUNITIES = [
  'gardening',
  'chess',
  'running',
  'baking',
  'photography',
  'astronomy',
  'birdwatching',
  'cycling',
  'knitting',
  'jazz',
  'hiking',
  'woodworking',
  'boardgames',
  'poetry',
  'cooking',
  'climbing',
  'sailing',
  'pottery',
  'film',
  'gaming',
  'yoga',
  'parenting',
  'pets',
  'diy',
  'history',
  'languages',
  'robotics',
  'fishing',
  'travel',
  'vinyl',
  'tabletennis',
  'beekeeping',
  'choir',
  'neighbors',
  'volunteers',
  'bookclub',
] as const;

export const MEMBERS = 3000;
/** The members the run aims to have logged in at once; logins outweigh logouts below it. */
export const TARGET_SESSIONS = 400;
/** Each action of a session ends it with this probability: about 15 actions a session. */
export const LOGOUT_PROBABILITY = 1 / 15;
/** What a session's action is, besides logging out. */
export const ACTION_WEIGHTS = { post: 0.28, like: 0.38, comment: 0.2, share: 0.14 } as const;
/** Likes, shares and comments go to one of the community's latest posts. */
export const RECENT_POSTS = 50;
// Membership does not depend on the run's seed: the same member id is in the same communities in every run.
const MEMBERSHIP_SEED = 20_261_123;

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

/** The communities of every member, by index: one to three, the popular ones more often. */
export const MEMBERSHIPS: readonly (readonly string[])[] = (() => {
  const random = mulberry32(MEMBERSHIP_SEED);
  // Community popularity falls with its rank, as in any app.
  const weights = COMMUNITIES.map((_, rank) => 1 / (rank + 2));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const drawCommunity = (): string => {
    let target = random() * total;
    for (const [index, weight] of weights.entries()) {
      target -= weight;
      if (target < 0) return COMMUNITIES[index]!;
    }
    return COMMUNITIES[COMMUNITIES.length - 1]!;
  };
  return Array.from({ length: MEMBERS }, () => {
    const count = 1 + Math.floor(random() * 3);
    const joined = new Set<string>();
    while (joined.size < count) joined.add(drawCommunity());
    return [...joined];
  });
})();

export const memberId = (index: number): string => `u-${String(index + 1).padStart(5, '0')}`;

/** `--mood-shift COMMUNITY:EMOTION@MINUTE`: from that minute of the run on, the community's posts are of one emotion. */
export interface MoodShift {
  community: string;
  emotion: Emotion;
  /** Minutes after the run's start. */
  fromMinute: number;
}

export function parseMoodShift(text: string): MoodShift {
  const match = /^([a-z0-9_-]+):([a-z]+)@(\d+(?:\.\d+)?)$/.exec(text.trim());
  const [, community, emotion, minute] = match ?? [];
  if (match === null) {
    throw new OptionError(
      `--mood-shift must look like COMMUNITY:EMOTION@MINUTE, e.g. chess:anger@2, got '${text}'`,
    );
  }
  if (!(COMMUNITIES as readonly string[]).includes(community!)) {
    throw new OptionError(
      `--mood-shift community must be one of ${COMMUNITIES.join(', ')}, got '${community}'`,
    );
  }
  if (!(EMOTIONS as readonly string[]).includes(emotion!)) {
    throw new OptionError(`--mood-shift emotion must be one of ${EMOTIONS.join(', ')}, got '${emotion}'`);
  }
  return { community: community!, emotion: emotion as Emotion, fromMinute: Number(minute) };
}

export interface ActivityConfig {
  seed: number;
  start: Date;
  /** Time between consecutive events (across all communities), in milliseconds. */
  intervalMs: number;
  moodShift?: MoodShift | undefined;
}

const MOODS = Object.entries(MOOD_WEIGHTS) as [Emotion, number][];

function drawMood(random: Random): Emotion {
  let target = random();
  for (const [mood, weight] of MOODS) {
    target -= weight;
    if (target < 0) return mood;
  }
  return 'neutral';
}

interface Session {
  member: number;
  community: string;
}

/** The app's events, endless, in event-time order; the caller takes as many as it needs. */
export function* community(config: ActivityConfig): Generator<CommunityEvent> {
  const random = mulberry32(config.seed);
  // Ids carry the run's start and seed, so runs into the same keyspace never reuse one.
  const runTag = `${config.start.getTime().toString(36)}-${config.seed.toString(36)}`;
  const sessions: Session[] = [];
  const loggedIn = new Set<string>();
  const recentPosts = new Map<string, string[]>();
  const shiftFrom =
    config.moodShift === undefined
      ? Number.POSITIVE_INFINITY
      : config.start.getTime() + config.moodShift.fromMinute * MINUTE_MS;
  const textOf = (community: string, time: number): string => {
    const shifted = config.moodShift?.community === community && time >= shiftFrom;
    return pick(random, SENTENCES[shifted ? config.moodShift!.emotion : drawMood(random)]);
  };

  for (let index = 0; ; index += 1) {
    const time = config.start.getTime() + Math.floor(index * config.intervalMs);
    const base = { event_id: `e-${runTag}-${index}`, event_time: new Date(time).toISOString() };
    const loginChance = Math.max(0.02, 0.5 * (1 - sessions.length / TARGET_SESSIONS));
    if (sessions.length === 0 || random() < loginChance) {
      const member = Math.floor(random() * MEMBERS);
      const community = pick(random, MEMBERSHIPS[member]!);
      const key = `${community}|${member}`;
      // Logged in already (a second device): the login is sent, the session stays one.
      if (!loggedIn.has(key)) {
        loggedIn.add(key);
        sessions.push({ member, community });
      }
      yield { ...base, kind: 'login', community, user_id: memberId(member) };
      continue;
    }
    const at = Math.floor(random() * sessions.length);
    const { member, community } = sessions[at]!;
    const user_id = memberId(member);
    if (random() < LOGOUT_PROBABILITY) {
      sessions[at] = sessions[sessions.length - 1]!;
      sessions.pop();
      loggedIn.delete(`${community}|${member}`);
      yield { ...base, kind: 'logout', community, user_id };
      continue;
    }
    const posts = recentPosts.get(community) ?? [];
    let action = random();
    if (posts.length === 0 || action < ACTION_WEIGHTS.post) {
      const post_id = `p-${runTag}-${index}`;
      posts.push(post_id);
      if (posts.length > RECENT_POSTS) posts.shift();
      recentPosts.set(community, posts);
      yield { ...base, kind: 'post', community, user_id, post_id, text: textOf(community, time) };
      continue;
    }
    action -= ACTION_WEIGHTS.post;
    // Newer posts draw more engagement: the square favours the end of the list.
    const post_id = posts[posts.length - 1 - Math.floor(random() ** 2 * posts.length)]!;
    if (action < ACTION_WEIGHTS.like) yield { ...base, kind: 'like', community, user_id, post_id };
    else if (action < ACTION_WEIGHTS.like + ACTION_WEIGHTS.comment) {
      yield { ...base, kind: 'comment', community, user_id, post_id, text: textOf(community, time) };
    } else yield { ...base, kind: 'share', community, user_id, post_id };
  }
}
