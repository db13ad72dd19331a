import { describe, expect, it } from 'vitest';
import { LOW_SCORE_THRESHOLD, parseDroneReport, type DroneReport } from '../schema.ts';
import { POPULATION, POPULATION_SIZE, SCORE_NOISE, droneReports } from '../drones.ts';
import { FIRST_NAMES, LAST_NAMES } from '../../../generators/names.ts';
import { mulberry32 } from '../../../generators/random.ts';
import { SENTENCES } from '../sentences.ts';

const START = new Date('2026-01-01T00:00:00Z');

function firstReports(count: number, seed = 7, drones = 100, intervalMs = 600): DroneReport[] {
  const reports: DroneReport[] = [];
  for (const report of droneReports({ seed, drones, start: START, intervalMs })) {
    reports.push(report);
    if (reports.length === count) break;
  }
  return reports;
}

const happinessOf = new Map(SENTENCES.map((sentence) => [sentence.text, sentence.happiness]));
const tenThousand = firstReports(10_000);

describe('the sentence bank and the name lists', () => {
  it('has at least 100 sentences, each scored 0..10 and said once', () => {
    expect(SENTENCES.length).toBeGreaterThanOrEqual(100);
    expect(new Set(SENTENCES.map((sentence) => sentence.text)).size).toBe(SENTENCES.length);
    for (const { happiness } of SENTENCES) expect(happiness).toBeGreaterThanOrEqual(0);
    for (const { happiness } of SENTENCES) expect(happiness).toBeLessThanOrEqual(10);
    expect(happinessOf.get('I feel so happy today')).toBe(10);
    expect(happinessOf.get('I will not stand for this injustice')).toBe(0);
  });

  it('has a few hundred distinct first and last names', () => {
    expect(new Set(FIRST_NAMES).size).toBeGreaterThanOrEqual(200);
    expect(new Set(LAST_NAMES).size).toBeGreaterThanOrEqual(200);
  });

  it('gives every person of the fixed population a stable id and name', () => {
    expect(POPULATION).toHaveLength(POPULATION_SIZE);
    expect(POPULATION[42]!.person_id).toBe('p-00042');
    const byId = new Map(POPULATION.map((person) => [person.person_id, person]));
    for (const person of tenThousand.slice(0, 500).flatMap((report) => report.persons)) {
      expect(byId.get(person.person_id)).toMatchObject({
        first_name: person.first_name,
        last_name: person.last_name,
      });
    }
  });
});

describe('mulberry32', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const first = mulberry32(99);
    const second = mulberry32(99);
    const draws = Array.from({ length: 1000 }, () => first());
    expect(draws).toEqual(Array.from({ length: 1000 }, () => second()));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});

describe('droneReports', () => {
  it('gives identical reports for the same seed, and different ones for another seed', () => {
    expect(firstReports(300)).toEqual(tenThousand.slice(0, 300));
    const otherSeed = firstReports(300, 8);
    expect(otherSeed.map((report) => report.report_id)).not.toEqual(
      tenThousand.slice(0, 300).map((report) => report.report_id),
    );
  });

  it('produces reports that the wire schema accepts, with unique UUID-shaped ids', () => {
    for (const report of tenThousand) {
      const parsed = parseDroneReport(JSON.stringify(report));
      expect(parsed.ok, parsed.ok ? '' : parsed.reason).toBe(true);
    }
    expect(new Set(tenThousand.map((report) => report.report_id)).size).toBe(tenThousand.length);
    expect(tenThousand[0]!.report_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('lets drones take turns, one report per interval', () => {
    const reports = firstReports(250, 7, 100, 600);
    expect(reports[0]!.drone_id).toBe('drone-001');
    expect(reports[99]!.drone_id).toBe('drone-100');
    expect(reports[100]!.drone_id).toBe('drone-001');
    expect(reports[0]!.event_time).toBe('2026-01-01T00:00:00.000Z');
    expect(reports[100]!.event_time).toBe('2026-01-01T00:01:00.000Z');
  });

  it('moves each drone only a little around its home', () => {
    const ofDroneOne = tenThousand.filter((report) => report.drone_id === 'drone-001');
    for (let index = 1; index < ofDroneOne.length; index++) {
      expect(Math.abs(ofDroneOne[index]!.lat - ofDroneOne[index - 1]!.lat)).toBeLessThan(0.01);
      expect(Math.abs(ofDroneOne[index]!.lon - ofDroneOne[index - 1]!.lon)).toBeLessThan(0.01);
    }
    const lats = ofDroneOne.map((report) => report.lat);
    expect(Math.max(...lats) - Math.min(...lats)).toBeGreaterThan(0);
    expect(Math.max(...lats) - Math.min(...lats)).toBeLessThan(0.05);
  });

  it('scores each person 0..10, to one decimal, near the mean of 1 to 3 things they said', () => {
    // Collecting the misfits keeps 45,000 persons from costing 45,000 assertions each.
    const misfits = tenThousand
      .flatMap((report) => report.persons)
      .filter((person) => {
        const said = person.words.map((text) => happinessOf.get(text)!);
        const mean = said.reduce((sum, happiness) => sum + happiness, 0) / said.length;
        const score = person.harmony_score;
        return (
          !(score >= 0 && score <= 10) ||
          Number(score.toFixed(1)) !== score ||
          Math.abs(score - mean) > SCORE_NOISE + 0.05 ||
          said.length < 1 ||
          said.length > 3
        );
      });
    expect(misfits).toEqual([]);
  });

  it('puts someone in distress in about 5% of reports, and only low words in their mouths', () => {
    const inDistress = tenThousand.filter((report) =>
      report.persons.some((person) => person.harmony_score < LOW_SCORE_THRESHOLD),
    );
    const share = inDistress.length / tenThousand.length;
    expect(share).toBeGreaterThan(0.03);
    expect(share).toBeLessThan(0.08);
    for (const person of inDistress.flatMap((report) => report.persons)) {
      if (person.harmony_score >= LOW_SCORE_THRESHOLD) continue;
      for (const text of person.words) expect(happinessOf.get(text)).toBeLessThan(LOW_SCORE_THRESHOLD);
    }
  });

  it('lets people recur across reports', () => {
    const seen = tenThousand.flatMap((report) => report.persons.map((person) => person.person_id));
    expect(new Set(seen).size).toBeLessThanOrEqual(POPULATION_SIZE);
    expect(seen.length).toBeGreaterThan(new Set(seen).size * 5);
  });
});
