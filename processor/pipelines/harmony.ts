import { Counter, Histogram, type Registry } from 'prom-client';
import {
  DRONE_REPORTS_DLQ_TOPIC,
  DRONE_REPORTS_TOPIC,
  HARMONY_ALERTS_TOPIC,
  LOW_SCORE_THRESHOLD,
  parseDroneReport,
  toAlert,
  type DroneReport,
} from '../../schemas/harmony.ts';
import type { Row } from '../../common/cassandra.ts';
import type { StreamPipeline } from '../pipeline.ts';

const HOUR_MS = 3_600_000;

export function hourOf(time: Date): Date {
  return new Date(Math.floor(time.getTime() / HOUR_MS) * HOUR_MS);
}

/** Harmony (stream 1): drone reports in, stored facts and distress alerts out. */
export function harmonyRows(report: DroneReport): Row[] {
  const eventTime = new Date(report.event_time);
  const hour = hourOf(eventTime);
  const lowPersons = report.persons.filter((person) => person.harmony_score < LOW_SCORE_THRESHOLD);
  const scoreSum = report.persons.reduce((sum, person) => sum + person.harmony_score, 0);
  return [
    {
      table: 'reports',
      values: {
        report_id: report.report_id,
        drone_id: report.drone_id,
        lat: report.lat,
        lon: report.lon,
        event_time: eventTime,
        persons: report.persons,
        persons_count: report.persons.length,
        low_count: lowPersons.length,
      },
    },
    {
      table: 'reports_by_hour',
      values: {
        hour,
        event_time: eventTime,
        report_id: report.report_id,
        drone_id: report.drone_id,
        lat: report.lat,
        lon: report.lon,
        persons_count: report.persons.length,
        low_count: lowPersons.length,
        score_sum: scoreSum,
      },
    },
    ...report.persons.map((person) => ({
      table: 'person_scores',
      values: {
        person_id: person.person_id,
        event_time: eventTime,
        report_id: report.report_id,
        first_name: person.first_name,
        last_name: person.last_name,
        harmony_score: person.harmony_score,
        drone_id: report.drone_id,
      },
    })),
    ...lowPersons.map((person) => ({
      table: 'low_scores_by_hour',
      values: {
        hour,
        person_id: person.person_id,
        event_time: eventTime,
        report_id: report.report_id,
        first_name: person.first_name,
        last_name: person.last_name,
        harmony_score: person.harmony_score,
      },
    })),
  ];
}

export function createHarmonyPipeline(registry: Registry, topicPrefix = ''): StreamPipeline<DroneReport> {
  const alertsTopic = `${topicPrefix}${HARMONY_ALERTS_TOPIC}`;
  const alerts = new Counter({
    name: 'harmony_alerts_total',
    help: 'Distress alerts committed to the alerts topic.',
    registers: [registry],
  });
  const scores = new Histogram({
    name: 'harmony_score',
    help: 'Harmony scores (0-10) of the persons in stored reports.',
    buckets: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    registers: [registry],
  });
  return {
    name: 'harmony',
    sourceTopic: `${topicPrefix}${DRONE_REPORTS_TOPIC}`,
    deadLetterTopic: `${topicPrefix}${DRONE_REPORTS_DLQ_TOPIC}`,
    decode: (record) => {
      const parsed = parseDroneReport(record.value);
      return parsed.ok ? { ok: true, fact: parsed.report } : parsed;
    },
    eventTime: (report) => new Date(report.event_time),
    rows: harmonyRows,
    derive: (report) => {
      const alert = toAlert(report);
      return alert ? [{ topic: alertsTopic, key: report.drone_id, value: JSON.stringify(alert) }] : [];
    },
    observe: (stored) => {
      for (const report of stored) {
        if (report.persons.some((person) => person.harmony_score < LOW_SCORE_THRESHOLD)) alerts.inc();
        for (const person of report.persons) scores.observe(person.harmony_score);
      }
    },
  };
}
