import type { Business } from './schema.ts';
import { mulberry32 } from '../../generators/random.ts';
import { LAST_NAMES } from '../../generators/names.ts';
import { CITIES } from './places.ts';
import { cumulative, searchCumulative } from '../../generators/weights.ts';
import { ADJECTIVES, CATEGORIES, NOUNS } from './words.ts';

export const DEFAULT_BUSINESSES = 200_000;
// The catalogue does not depend on the run's seed: a business id names the same business in every run.
const CATALOGUE_SEED = 20_260_101;
/** Business ids have at least this many digits: b-000001 up to b-999999. */
export const MIN_ID_DIGITS = 6;
/** How far from its city's centre a business may be. */
export const MAX_DISTANCE_KM = 4;
const KM_PER_DEGREE = 111.32;
const COORDINATE_DECIMALS = 1e5;

// Bigger cities get more businesses, but by the square root of their size so that Tokyo does not
// swamp Bristol.
const CITY_SUMS = cumulative(CITIES.map((city) => Math.sqrt(city.population)));
const CATEGORY_SUMS = cumulative(CATEGORIES.map((category) => category.weight));
const NAME_PATTERN_SUMS = cumulative([0.6, 0.2, 0.2]);
// Word choices are stored as 16-bit fractions of their list and scaled when a name is rendered.
const WORD_SCALE = 0x1_0000;

const pickScaled = (items: readonly string[], draw: number): string =>
  items[Math.floor((draw * items.length) / WORD_SCALE)]!;

/** The fixed-width id of the business at a 0-based index: index 0 is b-000001. */
export function businessId(index: number, catalogueSize: number): string {
  const width = Math.max(MIN_ID_DIGITS, String(catalogueSize).length);
  return `b-${String(index + 1).padStart(width, '0')}`;
}

/**
 * The businesses, in id order. Kept as a few typed arrays (about 24 bytes a business) and turned
 * into `Business` objects on demand.
 */
export interface Catalogue extends Iterable<Business> {
  readonly size: number;
  /** The business at a 0-based index (index 0 is b-000001). */
  business(index: number): Business;
}

/**
 * Every business consumes the same number of draws from one fixed-seed PRNG, so a smaller
 * catalogue is a prefix of a bigger one: b-000042 is the same business whatever the size.
 */
export function buildCatalogue(size: number): Catalogue {
  const random = mulberry32(CATALOGUE_SEED);
  const city = new Uint8Array(size);
  const category = new Uint8Array(size);
  const pattern = new Uint8Array(size);
  const word = new Uint16Array(size);
  const first = new Uint16Array(size);
  const second = new Uint16Array(size);
  const lat = new Float64Array(size);
  const lon = new Float64Array(size);
  const scaled = (): number => Math.floor(random() * WORD_SCALE);

  for (let index = 0; index < size; index++) {
    city[index] = searchCumulative(CITY_SUMS, random() * CITY_SUMS[CITY_SUMS.length - 1]!);
    const home = CITIES[city[index]!]!;
    // Denser towards the centre: the distance is uniform, not the area.
    const distanceKm = random() * MAX_DISTANCE_KM;
    const bearing = random() * 2 * Math.PI;
    const dLat = (distanceKm * Math.cos(bearing)) / KM_PER_DEGREE;
    const dLon = (distanceKm * Math.sin(bearing)) / (KM_PER_DEGREE * Math.cos((home.lat * Math.PI) / 180));
    lat[index] = Math.round((home.lat + dLat) * COORDINATE_DECIMALS) / COORDINATE_DECIMALS;
    lon[index] = Math.round((home.lon + dLon) * COORDINATE_DECIMALS) / COORDINATE_DECIMALS;
    category[index] = searchCumulative(CATEGORY_SUMS, random() * CATEGORY_SUMS[CATEGORY_SUMS.length - 1]!);
    pattern[index] = searchCumulative(NAME_PATTERN_SUMS, random());
    word[index] = scaled();
    first[index] = scaled();
    second[index] = scaled();
  }

  function name(index: number): string {
    const ending = pickScaled(CATEGORIES[category[index]!]!.words, word[index]!);
    switch (pattern[index]) {
      case 0:
        return `${pickScaled(ADJECTIVES, first[index]!)} ${pickScaled(NOUNS, second[index]!)} ${ending}`;
      case 1: {
        const one = Math.floor((first[index]! * NOUNS.length) / WORD_SCALE);
        // Never "Fox & Fox": the second noun is drawn from the others.
        const other =
          (one + 1 + Math.floor((second[index]! * (NOUNS.length - 1)) / WORD_SCALE)) % NOUNS.length;
        return `${NOUNS[one]!} & ${NOUNS[other]!} ${ending}`;
      }
      default:
        return `${pickScaled(LAST_NAMES, first[index]!)} ${ending}`;
    }
  }

  function business(index: number): Business {
    if (!(Number.isInteger(index) && index >= 0 && index < size)) {
      throw new RangeError(`no business at index ${index} in a catalogue of ${size}`);
    }
    const place = CITIES[city[index]!]!;
    return {
      business_id: businessId(index, size),
      name: name(index),
      category: CATEGORIES[category[index]!]!.category,
      city: place.city,
      country: place.country,
      lat: lat[index]!,
      lon: lon[index]!,
    };
  }

  return {
    size,
    business,
    *[Symbol.iterator]() {
      for (let index = 0; index < size; index++) yield business(index);
    },
  };
}
