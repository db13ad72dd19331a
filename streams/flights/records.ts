import { DAY_MS, MINUTE_MS, bucketStart } from '../../common/time.ts';
import type { CancellationReason, FlightRecord } from './schema.ts';
import { AIRPORTS, AIRPORTS_BY_CODE, distanceMiles, type Airport } from './network.ts';
import { mulberry32 } from '../../generators/random.ts';
import { cumulative, searchCumulative } from '../../generators/weights.ts';
import { CARRIERS, type CarrierProfile } from './carriers.ts';

/** About the number of flights the US carriers fly in a day, at the default rate. */
export const DEFAULT_FLIGHTS_PER_DAY = 21_600;

type Random = () => number;

const DAY_SALT = 0x6a09e667;

/** A standard normal draw (Box-Muller). */
function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const exponential = (random: Random, mean: number) => -mean * Math.log(1 - random());

/** A 32-bit FNV-1a hash: flight numbers follow the route, not the draw. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let at = 0; at < text.length; at += 1) value = Math.imul(value ^ text.charCodeAt(at), 0x01000193);
  return value >>> 0;
}

/** An airport's traffic weight by its place among the busiest (1 at the top, falling off as 1/rank). */
const airportWeight = (airport: Airport) => 1 / (AIRPORTS.indexOf(airport) + 8);

interface Network {
  carrier: CarrierProfile;
  hubs: Airport[];
  served: Airport[];
  servedSums: Float64Array;
}

function network(carrier: CarrierProfile): Network {
  const served =
    typeof carrier.serves === 'number'
      ? AIRPORTS.slice(0, carrier.serves)
      : carrier.serves.map((code) => AIRPORTS_BY_CODE.get(code)!);
  const hubs = carrier.hubs.map((code) => AIRPORTS_BY_CODE.get(code)!);
  for (const hub of hubs) if (!served.includes(hub)) served.push(hub);
  return { carrier, hubs, served, servedSums: cumulative(served.map(airportWeight)) };
}

const NETWORKS = CARRIERS.map(network);
const CARRIER_SUMS = cumulative(CARRIERS.map((carrier) => carrier.share));

function servedAirport(random: Random, net: Network, except: Airport): Airport {
  for (;;) {
    const total = net.servedSums[net.servedSums.length - 1]!;
    const airport = net.served[searchCumulative(net.servedSums, random() * total)]!;
    if (airport !== except) return airport;
  }
}

/** Most flights touch a hub: from one to anywhere served, or from anywhere served to one. */
function route(random: Random, net: Network): [Airport, Airport] {
  const hub = net.hubs[Math.floor(random() * net.hubs.length)]!;
  const other = servedAirport(random, net, hub);
  return random() < 0.5 ? [hub, other] : [other, hub];
}

/**
 * How an airline's day goes: a multiplier of its late and cancelled shares, drawn once per
 * airline per day from the seed. Most days are near 1; a storm day now and then doubles them.
 */
export function dayFactor(seed: number, airline: string, day: number): number {
  const random = mulberry32((seed ^ DAY_SALT ^ hash(`${airline}|${day}`)) >>> 0);
  return Math.exp(0.25 * normal(random));
}

const CANCELLATION_SUMS = cumulative([0.3, 0.45, 0.24, 0.01]);
const CANCELLATION_CODES: readonly CancellationReason[] = ['A', 'B', 'C', 'D'];

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

export interface FlightsConfig {
  seed: number;
  start: Date;
  /** Time between consecutive scheduled departures (across all airlines), in milliseconds. */
  intervalMs: number;
}

/**
 * Flight records in the order of their scheduled departures, which are spaced at the rate and
 * fall on whole minutes. Each record is internally consistent: every delay and duration is the
 * difference of its times, a cancelled flight has no actual times, a diverted one no arrival.
 */
export function* flightRecords(config: FlightsConfig): Generator<FlightRecord> {
  const random = mulberry32(config.seed);
  const factors = new Map<string, number>();
  for (let index = 0; ; index += 1) {
    const scheduledDeparture = bucketStart(config.start.getTime() + index * config.intervalMs, MINUTE_MS);
    const day = bucketStart(scheduledDeparture, DAY_MS);
    const net = NETWORKS[searchCumulative(CARRIER_SUMS, random() * CARRIER_SUMS[CARRIER_SUMS.length - 1]!)]!;
    const carrier = net.carrier;
    const factorKey = `${carrier.code}|${day}`;
    let factor = factors.get(factorKey);
    if (factor === undefined) {
      if (factors.size > 4 * CARRIERS.length) factors.clear();
      factor = dayFactor(config.seed, carrier.code, day);
      factors.set(factorKey, factor);
    }
    const [origin, destination] = route(random, net);
    const distance = distanceMiles(origin, destination);
    const nominalAirTime = Math.round(15 + distance / 8.2);
    const scheduledTime = nominalAirTime + 30;
    const scheduledArrival = scheduledDeparture + scheduledTime * MINUTE_MS;
    const flight: FlightRecord = {
      date: iso(day).slice(0, 10),
      airline: carrier.code,
      flight_number: 1 + (hash(`${carrier.code}${origin.code}${destination.code}`) % 7999),
      tail_number: `N${100 + Math.floor(random() * 900)}${carrier.tailSuffix}`,
      origin_airport: origin.code,
      destination_airport: destination.code,
      scheduled_departure: iso(scheduledDeparture),
      departure_time: null,
      departure_delay: null,
      taxi_out: null,
      wheels_off: null,
      scheduled_time: scheduledTime,
      elapsed_time: null,
      air_time: null,
      distance,
      wheels_on: null,
      taxi_in: null,
      scheduled_arrival: iso(scheduledArrival),
      arrival_time: null,
      arrival_delay: null,
      diverted: false,
      cancelled: false,
      cancellation_reason: null,
    };
    if (random() < Math.min(0.3, carrier.cancelShare * factor * factor)) {
      flight.cancelled = true;
      flight.cancellation_reason =
        CANCELLATION_CODES[searchCumulative(CANCELLATION_SUMS, random() * CANCELLATION_SUMS[3]!)]!;
      yield flight;
      continue;
    }
    const late = random() < Math.min(0.9, carrier.lateShare * factor);
    const departureDelay = late
      ? Math.round(
          Math.min(1200, 1 + carrier.lateMedianMinutes * Math.sqrt(factor) * Math.exp(0.95 * normal(random))),
        )
      : Math.round(clamp(-3 + 4 * normal(random), -25, 0));
    const taxiOut = Math.round(Math.min(120, 8 + exponential(random, 9)));
    const departure = scheduledDeparture + departureDelay * MINUTE_MS;
    const wheelsOff = departure + taxiOut * MINUTE_MS;
    Object.assign(flight, {
      departure_time: iso(departure),
      departure_delay: departureDelay,
      taxi_out: taxiOut,
      wheels_off: iso(wheelsOff),
    });
    if (random() < carrier.divertShare) {
      flight.diverted = true;
      yield flight;
      continue;
    }
    const airTime = Math.max(10, Math.round(nominalAirTime * (1 + 0.04 * normal(random))));
    const taxiIn = Math.round(Math.min(60, 3 + exponential(random, 5)));
    const wheelsOn = wheelsOff + airTime * MINUTE_MS;
    const arrival = wheelsOn + taxiIn * MINUTE_MS;
    Object.assign(flight, {
      elapsed_time: taxiOut + airTime + taxiIn,
      air_time: airTime,
      wheels_on: iso(wheelsOn),
      taxi_in: taxiIn,
      arrival_time: iso(arrival),
      arrival_delay: (arrival - scheduledArrival) / MINUTE_MS,
    });
    yield flight;
  }
}
