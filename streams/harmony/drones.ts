import { LOW_SCORE_THRESHOLD, type DroneReport, type PersonSeen } from './schema.ts';
import { FIRST_NAMES, LAST_NAMES } from '../../generators/names.ts';
import { mulberry32 } from '../../generators/random.ts';
import { SENTENCES, type ScoredSentence } from './sentences.ts';

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (random: Random, low: number, high: number): number => low + random() * (high - low);
const roundTo = (value: number, decimals: number): number => Number(value.toFixed(decimals));

export interface Person {
  person_id: string;
  first_name: string;
  last_name: string;
}

export const POPULATION_SIZE = 2000;
// The population does not depend on the run's seed: the same person id keeps the same name in every run.
const POPULATION_SEED = 20_240_601;

export const POPULATION: readonly Person[] = (() => {
  const random = mulberry32(POPULATION_SEED);
  return Array.from({ length: POPULATION_SIZE }, (_, index) => ({
    person_id: `p-${String(index).padStart(5, '0')}`,
    first_name: pick(random, FIRST_NAMES),
    last_name: pick(random, LAST_NAMES),
  }));
})();

export const DISTRESS_PROBABILITY = 0.05;
export const MAX_PERSONS_PER_REPORT = 8;
export const MAX_SENTENCES_PER_PERSON = 3;
/** How far a person's harmony score may stray from the mean of what they said. */
export const SCORE_NOISE = 0.5;

// A gap around the threshold keeps calm and distressed speakers apart even after noise is added.
const CALM_SENTENCES = SENTENCES.filter((sentence) => sentence.happiness >= LOW_SCORE_THRESHOLD + 1);
const DESPERATE_SENTENCES = SENTENCES.filter((sentence) => sentence.happiness <= LOW_SCORE_THRESHOLD - 1);

// Drones patrol one city-sized area, so positions on a map stay readable.
const AREA = { south: 48.8, north: 48.92, west: 2.25, east: 2.42 };
const MAX_STEP_DEGREES = 0.002;
// Each step pulls a drone a little back towards home, so it wanders without drifting away.
const HOMING = 0.9;

export interface DroneReportsConfig {
  seed: number;
  drones: number;
  start: Date;
  /** Time between consecutive reports (across all drones), in milliseconds. */
  intervalMs: number;
}

function reportId(random: Random): string {
  const hex = Array.from({ length: 4 }, () =>
    Math.floor(random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0'),
  ).join('');
  // Shaped as a version-4 UUID so downstream tools that expect UUIDs accept it.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function speak(random: Random, person: Person, bank: readonly ScoredSentence[]): PersonSeen {
  const count = 1 + Math.floor(random() * MAX_SENTENCES_PER_PERSON);
  const said = Array.from({ length: count }, () => pick(random, bank));
  const mean = said.reduce((sum, sentence) => sum + sentence.happiness, 0) / said.length;
  const score = Math.min(10, Math.max(0, mean + between(random, -SCORE_NOISE, SCORE_NOISE)));
  return {
    ...person,
    harmony_score: roundTo(score, 1),
    words: said.map((sentence) => sentence.text),
  };
}

function distinctPersons(random: Random, count: number): Person[] {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(random() * POPULATION.length));
  return [...chosen].map((index) => POPULATION[index]!);
}

/**
 * An endless, deterministic sequence of drone reports: the drones take turns (report i comes from drone
 * i mod drones) and report i happens at start + i * interval.
 */
export function* droneReports(config: DroneReportsConfig): Generator<DroneReport> {
  const random = mulberry32(config.seed);
  const idWidth = Math.max(3, String(config.drones).length);
  const fleet = Array.from({ length: config.drones }, (_, index) => {
    const home = {
      lat: between(random, AREA.south, AREA.north),
      lon: between(random, AREA.west, AREA.east),
    };
    return { id: `drone-${String(index + 1).padStart(idWidth, '0')}`, home, position: { ...home } };
  });

  for (let index = 0; ; index++) {
    const drone = fleet[index % fleet.length]!;
    for (const axis of ['lat', 'lon'] as const) {
      const offset = (drone.position[axis] - drone.home[axis]) * HOMING;
      drone.position[axis] = drone.home[axis] + offset + between(random, -MAX_STEP_DEGREES, MAX_STEP_DEGREES);
    }
    const persons = distinctPersons(random, 1 + Math.floor(random() * MAX_PERSONS_PER_REPORT));
    const distressedIndex = random() < DISTRESS_PROBABILITY ? Math.floor(random() * persons.length) : -1;
    yield {
      report_id: reportId(random),
      drone_id: drone.id,
      lat: roundTo(drone.position.lat, 6),
      lon: roundTo(drone.position.lon, 6),
      event_time: new Date(config.start.getTime() + index * config.intervalMs).toISOString(),
      persons: persons.map((person, position) =>
        speak(random, person, position === distressedIndex ? DESPERATE_SENTENCES : CALM_SENTENCES),
      ),
    };
  }
}
