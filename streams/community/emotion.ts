/**
 * The emotion of a text, as the community stream computes it for every post and comment.
 *
 * Valence comes from the `sentiment` package (AFINN-165 word list with its English negation
 * rule): the mean AFINN score of the text's rated words over 5, so in [-1, 1], 0 when no word is
 * rated. It is kept in thousandths, so that sums and means of it are exact and a replay after a
 * crash stores the very same numbers.
 *
 * The dominant emotion counts the words of each emotion in the tokens `sentiment` made of the
 * text, a word right after a negator ("not happy") counting for none. The npm registry has no
 * maintained emotion-category lexicon (the NRC EmoLex is not published there, and its terms are
 * research-only), so the categories below are this project's own list of common English emotion
 * words (README "Community activity"). Ties go to the first emotion in `EMOTIONS` order; a text
 * with no emotion word is neutral.
 */
import Sentiment from 'sentiment';
import { EMOTIONS, type Emotion } from './schema.ts';

const sentiment = new Sentiment();
const AFINN_MAX = 5;

/** The negators of `sentiment`'s English rule: an emotion word right after one does not count. */
const NEGATORS = new Set([
  'not',
  'no',
  'never',
  'non',
  'cant',
  "can't",
  'dont',
  "don't",
  'doesnt',
  "doesn't",
  'wont',
  "won't",
  'isnt',
  "isn't",
  'wasnt',
  "wasn't",
  'didnt',
  "didn't",
]);

const EMOTION_WORDS: Record<Exclude<Emotion, 'neutral'>, string> = {
  joy: `happy happier happiest happiness joy joyful joyous delighted delight delightful glad cheerful
    thrilled excited exciting wonderful fantastic amazing awesome great love loved lovely loving
    celebrate celebrating celebration fun enjoy enjoyed enjoying smile smiling laugh laughed laughing laughter
    beautiful blessed grateful thankful proud pleased yay hooray brilliant best perfect sunshine`,
  trust: `trust trusted trusting trustworthy reliable rely relied dependable honest honesty loyal
    loyalty faithful support supported supportive safe secure confident confidence believe
    believed promise promised fair fairly respect respected respectful helpful help helped
    teamwork together solid steady sincere genuine recommend recommended vouch integrity`,
  anger: `angry anger furious fury rage raging mad outraged outrage outrageous hate hated hateful
    annoyed annoying irritated irritating infuriating infuriated livid fed disgusting disgusted
    unacceptable ridiculous insulting insult furiously resent resentful hostile yelling shouting
    scam cheated unfair betrayed betrayal sick stupid terrible worst awful`,
  sadness: `sad sadly sadness unhappy cry crying cried tears tearful heartbroken heartbreaking
    grief grieving mourn mourning miss missing missed lonely alone loss lost depressed depressing
    gloomy miserable sorrow sorry regret regrets disappointed disappointing hopeless
    goodbye farewell empty hurt hurts hurting pain painful`,
  fear: `afraid fear fearful scared scary frightened frightening terrified terrifying panic
    panicking worried worry worrying anxious anxiety nervous dread dreading threat threatening
    danger dangerous unsafe alarm alarming horror horrified creepy uneasy tense risk risky
    nightmare shaking trembling emergency evacuate storm warning`,
  surprise: `surprise surprised surprising suddenly sudden unexpected unexpectedly wow whoa
    astonished astonishing amazed shocked shocking stunned stunning unbelievable incredible
    speechless twist mindblowing startled nowhere omg
    realize realized discovered revealed reveal`,
};

/** Each word's emotions: a word may belong to several lists. */
const LEXICON = new Map<string, Exclude<Emotion, 'neutral'>[]>();
for (const [emotion, words] of Object.entries(EMOTION_WORDS) as [Exclude<Emotion, 'neutral'>, string][]) {
  for (const word of words.split(/\s+/).filter(Boolean)) {
    LEXICON.set(word, [...(LEXICON.get(word) ?? []), emotion]);
  }
}

export interface TextEmotion {
  /** Valence in thousandths, in [-1000, 1000]. */
  valenceMilli: number;
  emotion: Emotion;
}

export function analyzeText(text: string): TextEmotion {
  const { calculation, tokens } = sentiment.analyze(text);
  let rated = 0;
  let total = 0;
  for (const entry of calculation) {
    for (const score of Object.values(entry)) {
      rated += 1;
      total += score;
    }
  }
  const valence = rated === 0 ? 0 : Math.max(-1, Math.min(1, total / (AFINN_MAX * rated)));
  const counts = new Map<Emotion, number>();
  tokens.forEach((token, at) => {
    const emotions = LEXICON.get(token);
    if (emotions === undefined || (at > 0 && NEGATORS.has(tokens[at - 1]!))) return;
    for (const emotion of emotions) counts.set(emotion, (counts.get(emotion) ?? 0) + 1);
  });
  let dominant: Emotion = 'neutral';
  let most = 0;
  for (const emotion of EMOTIONS) {
    const count = counts.get(emotion) ?? 0;
    if (count > most) {
      dominant = emotion;
      most = count;
    }
  }
  return { valenceMilli: Math.round(valence * 1000), emotion: dominant };
}
