import { Counter, Histogram, type Registry } from 'prom-client';
import { DEFAULT_EVENT_TIME_RANGE, type EventTimeRange } from '../../common/decode.ts';
import {
  DRONE_REPORTS_TOPIC,
  HARMONY_ALERTS_TOPIC,
  LOW_SCORE_THRESHOLD,
  parseDroneReport,
  toAlert,
  type DroneReport,
  type HarmonyTables,
  SCHEMA_FILE,
} from './schema.ts';
import type { Row } from '../../common/cassandra.ts';
import { DAY_MS, HOUR_MS, bucketOf } from '../../common/time.ts';
import { ACCEPTED, source, tableRows, type Topology } from '../../processor/dsl/topology.ts';

const row = tableRows<HarmonyTables>();

/** Harmony (stream 1): drone reports in, stored facts and distress alerts out. */
export function harmonyRows(report: DroneReport): Row[] {
  const eventTime = new Date(report.event_time);
  const hour = bucketOf(eventTime, HOUR_MS);
  const lowPersons = report.persons.filter((person) => person.harmony_score < LOW_SCORE_THRESHOLD);
  const scoreSum = report.persons.reduce((sum, person) => sum + person.harmony_score, 0);
  return [
    row('reports', {
      report_id: report.report_id,
      drone_id: report.drone_id,
      lat: report.lat,
      lon: report.lon,
      event_time: eventTime,
      persons: report.persons,
      persons_count: report.persons.length,
      low_count: lowPersons.length,
    }),
    row('reports_by_hour', {
      hour,
      event_time: eventTime,
      report_id: report.report_id,
      drone_id: report.drone_id,
      lat: report.lat,
      lon: report.lon,
      persons_count: report.persons.length,
      low_count: lowPersons.length,
      score_sum: scoreSum,
    }),
    row('reports_by_drone', {
      drone_id: report.drone_id,
      day: bucketOf(eventTime, DAY_MS),
      event_time: eventTime,
      report_id: report.report_id,
      lat: report.lat,
      lon: report.lon,
      persons_count: report.persons.length,
      low_count: lowPersons.length,
      score_sum: scoreSum,
    }),
    ...report.persons.map((person) =>
      row('person_scores', {
        person_id: person.person_id,
        event_time: eventTime,
        report_id: report.report_id,
        first_name: person.first_name,
        last_name: person.last_name,
        harmony_score: person.harmony_score,
        drone_id: report.drone_id,
      }),
    ),
    ...lowPersons.map((person) =>
      row('low_scores_by_hour', {
        hour,
        person_id: person.person_id,
        event_time: eventTime,
        report_id: report.report_id,
        first_name: person.first_name,
        last_name: person.last_name,
        harmony_score: person.harmony_score,
      }),
    ),
  ];
}

/** Harmony (stream 1): each drone report is stored as facts, and one with someone in distress raises an alert. */
export function createHarmonyTopology(
  registry: Registry,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Topology {
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
  const reports = source<DroneReport>({
    topic: DRONE_REPORTS_TOPIC,
    partitions: 3,
    stateful: false,
    decode: (record) => parseDroneReport(record.value, eventTimes),
    eventTime: (report) => Date.parse(report.event_time),
    processor: () => ({
      process(report, eventTime, out) {
        for (const row of harmonyRows(report)) out.row(row);
        out.stored(eventTime);
        const alert = toAlert(report);
        if (alert !== null) out.record(HARMONY_ALERTS_TOPIC, report.drone_id, JSON.stringify(alert));
        out.afterCommit(() => {
          if (alert !== null) alerts.inc();
          for (const person of report.persons) scores.observe(person.harmony_score);
        });
        return ACCEPTED;
      },
    }),
  });
  return {
    name: 'harmony',
    schema: { file: SCHEMA_FILE, keyspace: 'harmony' },
    sources: [reports],
    outputs: [{ topic: HARMONY_ALERTS_TOPIC, partitions: 3 }],
  };
}
