import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Result } from '../../common/result.ts';
import {
  DEFAULT_EVENT_TIME_RANGE,
  isWellFormed,
  strictUtf8,
  withinRange,
  type EventTimeRange,
} from '../../common/decode.ts';

export const DRONE_REPORTS_TOPIC = 'drone.reports';
export const DRONE_REPORTS_DLQ_TOPIC = 'drone.reports.dlq';
export const HARMONY_ALERTS_TOPIC = 'harmony.alerts';
export const HARMONY_ALERTS_DLQ_TOPIC = 'harmony.alerts.dlq';

/** A person scoring below this is in distress, and their report raises an alert. */
export const LOW_SCORE_THRESHOLD = 2;
export const MAX_REPORT_BYTES = 64 * 1024;
const MAX_ID_CHARS = 64;
const MAX_NAME_CHARS = 100;
const MAX_WORD_CHARS = 64;

/** Non-empty, bounded, and valid Unicode (a lone surrogate is invalid UTF-8 escaped in JSON). */
const boundedText = (maxChars: number) =>
  z.string().min(1).max(maxChars).refine(isWellFormed, 'not valid Unicode text');

const personSeen = z.object({
  person_id: boundedText(MAX_ID_CHARS),
  first_name: boundedText(MAX_NAME_CHARS),
  last_name: boundedText(MAX_NAME_CHARS),
  harmony_score: z.number().min(0).max(10),
  words: z.array(boundedText(MAX_WORD_CHARS)).min(1).max(5),
});

export const droneReportSchema = z.object({
  report_id: boundedText(MAX_ID_CHARS),
  drone_id: boundedText(MAX_ID_CHARS),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  event_time: z.iso.datetime({ offset: true }),
  persons: z
    .array(personSeen)
    .min(1)
    .max(50)
    // Rows are keyed by (report, person): a second entry for one person would overwrite the first.
    .superRefine((persons, context) => {
      const seen = new Set<string>();
      persons.forEach(({ person_id }, index) => {
        if (seen.has(person_id)) {
          context.addIssue({
            code: 'custom',
            path: [index, 'person_id'],
            message: `${person_id} appears more than once in the report`,
          });
        }
        seen.add(person_id);
      });
    }),
});

export type PersonSeen = z.infer<typeof personSeen>;
export type DroneReport = z.infer<typeof droneReportSchema>;

/** JSON text checked against a schema; the reason names the first thing wrong, for a dead letter. */
function decodeJson<T>(schema: z.ZodType<T>, text: string): Result<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.join('.') : 'message';
  return { ok: false, reason: `invalid field ${where}: ${issue.message}` };
}

export function parseDroneReport(
  bytes: Buffer | string | null,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Result<DroneReport> {
  if (bytes === null) return { ok: false, reason: 'empty message: no value' };
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  if (size > MAX_REPORT_BYTES) {
    return { ok: false, reason: `oversized message: ${size} bytes, at most ${MAX_REPORT_BYTES}` };
  }
  const text = strictUtf8(bytes);
  if (!text.ok) return text;
  const report = decodeJson(droneReportSchema, text.value);
  if (!report.ok) return report;
  const time = report.value.event_time;
  const inRange = withinRange('event_time', time, Date.parse(time), eventTimes);
  return inRange.ok ? report : inRange;
}

const personInAlert = z.object({
  person_id: z.string().min(1),
  name: z.string().min(1),
  score: z.number().min(0).max(10),
});

export const harmonyAlertSchema = z.object({
  alert_id: z.string().min(1),
  drone_id: z.string().min(1),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  event_time: z.iso.datetime({ offset: true }),
  distressed: z.array(personInAlert).min(1),
  others_in_contact: z.array(personInAlert),
  key_words: z.array(z.string()),
});

export type PersonInAlert = z.infer<typeof personInAlert>;
export type HarmonyAlert = z.infer<typeof harmonyAlertSchema>;

/** Alerts come from our own processor, but a reader still checks them: a bad one is kept, not posted. */
export function parseHarmonyAlert(bytes: Buffer | null): Result<HarmonyAlert> {
  if (bytes === null) return { ok: false, reason: 'empty message: no value' };
  const text = strictUtf8(bytes);
  return text.ok ? decodeJson(harmonyAlertSchema, text.value) : text;
}

const inAlert = (person: PersonSeen): PersonInAlert => ({
  person_id: person.person_id,
  name: `${person.first_name} ${person.last_name}`,
  score: person.harmony_score,
});

/** The alert a report raises, or null when nobody in it is in distress. */
export function toAlert(report: DroneReport): HarmonyAlert | null {
  const distressed = report.persons.filter((person) => person.harmony_score < LOW_SCORE_THRESHOLD);
  if (distressed.length === 0) return null;
  return {
    alert_id: report.report_id,
    drone_id: report.drone_id,
    lat: report.lat,
    lon: report.lon,
    event_time: report.event_time,
    distressed: distressed.map(inAlert),
    others_in_contact: report.persons
      .filter((person) => person.harmony_score >= LOW_SCORE_THRESHOLD)
      .map(inAlert),
    key_words: [...new Set(distressed.flatMap((person) => person.words))],
  };
}

/**
 * Typed rows of streams/harmony/schema.cql: the processor writes the facts, the batch
 * service reads them and writes its statistics.
 */
export interface HarmonyTables {
  reports: {
    report_id: string;
    drone_id: string;
    lat: number;
    lon: number;
    event_time: Date;
    persons: PersonSeen[];
    persons_count: number;
    low_count: number;
  };
  reports_by_hour: {
    hour: Date;
    event_time: Date;
    report_id: string;
    drone_id: string;
    lat: number;
    lon: number;
    persons_count: number;
    low_count: number;
    score_sum: number;
  };
  /** A drone's reports, newest first, one partition per drone and day: a drone filter reads only its own. */
  reports_by_drone: {
    drone_id: string;
    day: Date;
    event_time: Date;
    report_id: string;
    lat: number;
    lon: number;
    persons_count: number;
    low_count: number;
    score_sum: number;
  };
  person_scores: {
    person_id: string;
    event_time: Date;
    report_id: string;
    first_name: string;
    last_name: string;
    harmony_score: number;
    drone_id: string;
  };
  low_scores_by_hour: {
    hour: Date;
    person_id: string;
    event_time: Date;
    report_id: string;
    first_name: string;
    last_name: string;
    harmony_score: number;
  };
  top_low_persons: {
    board: string;
    rank: number;
    person_id: string;
    name: string;
    low_count: number;
    avg_score: number;
    window_start: Date;
    window_end: Date;
    threshold: number;
    computed_at: Date;
  };
  /** Each drone's reports, alerts and latest position in one hour of event time: the batch job's result. */
  drone_activity_by_hour: {
    hour: Date;
    drone_id: string;
    reports: number;
    alerts: number;
    last_seen: Date;
    lat: number;
    lon: number;
    computed_at: Date;
  };
  report_stats: {
    bucket_seconds: number;
    hour: Date;
    bucket_start: Date;
    reports: number;
    persons: number;
    low_persons: number;
    avg_score: number;
    avg_persons_per_report: number;
    avg_low_persons_per_report: number;
    computed_at: Date;
  };
}

/** This stream's CQL schema: the processor applies it at start, Docker and npm start alike. */
export const SCHEMA_FILE = fileURLToPath(new URL('./schema.cql', import.meta.url));
