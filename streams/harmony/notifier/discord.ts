import type { HarmonyAlert, PersonInAlert } from '../schema.ts';

/**
 * Discord's documented embed limits: longer text is rejected with a 400, so the message is
 * cut to fit rather than lost.
 */
export const DISCORD_LIMITS = { title: 256, fieldValue: 1024, footer: 2048, total: 6000 } as const;

/** Red, as Discord expects colours: an integer 0xRRGGBB. */
const ALERT_COLOUR = 0xd83a3a;

export interface EmbedField {
  name: string;
  value: string;
  inline?: boolean;
}

export interface DiscordMessage {
  username: string;
  /** Names come from reports: nothing in them may ping anyone. */
  allowed_mentions: { parse: [] };
  embeds: {
    title: string;
    color: number;
    timestamp: string;
    fields: EmbedField[];
    footer: { text: string };
  }[];
}

/** Lines joined until the limit, then a closing "… and N more" that still fits. */
export function fitLines(lines: string[], limit: number, empty = 'none'): string {
  if (lines.length === 0) return empty;
  const whole = lines.join('\n');
  if (whole.length <= limit) return whole;
  const kept: string[] = [];
  for (const line of lines) {
    const more = `… and ${lines.length - kept.length - 1} more`;
    if ([...kept, line, more].join('\n').length > limit) break;
    kept.push(line);
  }
  return [...kept, `… and ${lines.length - kept.length} more`].join('\n');
}

const personLine = (person: PersonInAlert): string =>
  `${person.name} (${person.person_id}): **${person.score.toFixed(1)}**`;

/** The Discord webhook message for one alert: drone, position, people, key words, date. */
export function toDiscordMessage(alert: HarmonyAlert): DiscordMessage {
  const unixSeconds = Math.floor(Date.parse(alert.event_time) / 1000);
  const people = alert.distressed.length === 1 ? 'person' : 'persons';
  return {
    username: 'Harmony alerts',
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: `${alert.distressed.length} ${people} in distress near drone ${alert.drone_id}`.slice(
          0,
          DISCORD_LIMITS.title,
        ),
        color: ALERT_COLOUR,
        timestamp: new Date(unixSeconds * 1000).toISOString(),
        fields: [
          { name: 'Drone', value: alert.drone_id.slice(0, DISCORD_LIMITS.fieldValue), inline: true },
          {
            name: 'Position',
            value: `${alert.lat.toFixed(5)}, ${alert.lon.toFixed(5)}`,
            inline: true,
          },
          { name: 'Date', value: `<t:${unixSeconds}:F> (${alert.event_time})`, inline: true },
          {
            name: 'In distress',
            value: fitLines(alert.distressed.map(personLine), DISCORD_LIMITS.fieldValue),
          },
          {
            name: 'Others in contact',
            value: fitLines(alert.others_in_contact.map(personLine), DISCORD_LIMITS.fieldValue),
          },
          {
            name: 'Key words',
            value: fitLines(
              alert.key_words.map((words) => `> ${words}`),
              DISCORD_LIMITS.fieldValue,
            ),
          },
        ],
        footer: { text: `alert ${alert.alert_id}`.slice(0, DISCORD_LIMITS.footer) },
      },
    ],
  };
}
