/**
 * The flights definitions computed the plain way, straight from a list of records with
 * simple-statistics: what the tests hold the processor's rows against.
 */
import { mean, quantile } from 'simple-statistics';
import { DAY_MS, bucketStart } from '../../../common/time.ts';
import { FLIGHTS, type FlightRecord, type FlightsTables } from '../schema.ts';

/** An airline-day's figures: its row without the key and the `final` flag. */
export type AirlineDayFigures = Omit<FlightsTables['airline_days'], 'day' | 'airline' | 'final'>;

export interface RouteDayFigures {
  flights: number;
  arrival_delay_mean: number | null;
}

const dayOf = (flight: FlightRecord) => bucketStart(Date.parse(flight.scheduled_departure), DAY_MS);
const completed = (flight: FlightRecord) => !flight.cancelled && !flight.diverted;

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item)) ?? [];
    group.push(item);
    groups.set(key(item), group);
  }
  return groups;
}

const statistics = (delays: number[]) =>
  delays.length === 0
    ? [null, null, null]
    : [mean(delays), quantile(delays, 0.5), quantile(delays, FLIGHTS.percentile)];

/** Figures per airline per day, keyed `<day ms>|<airline>`. */
export function airlineDays(flights: readonly FlightRecord[]): Map<string, AirlineDayFigures> {
  const figures = new Map<string, AirlineDayFigures>();
  for (const [key, group] of groupBy(flights, (flight) => `${dayOf(flight)}|${flight.airline}`)) {
    const done = group.filter(completed);
    const onTime = done.filter(
      (flight) => flight.arrival_delay! <= FLIGHTS.onTimeMaxArrivalDelayMinutes,
    ).length;
    const [departureMean, departureMedian, departureP90] = statistics(
      done.map((flight) => flight.departure_delay!),
    );
    const [arrivalMean, arrivalMedian, arrivalP90] = statistics(done.map((flight) => flight.arrival_delay!));
    figures.set(key, {
      flights: group.length,
      cancelled: group.filter((flight) => flight.cancelled).length,
      diverted: group.filter((flight) => flight.diverted).length,
      completed: done.length,
      on_time: onTime,
      on_time_share: done.length === 0 ? null : onTime / done.length,
      departure_delay_mean: departureMean!,
      departure_delay_median: departureMedian!,
      departure_delay_p90: departureP90!,
      arrival_delay_mean: arrivalMean!,
      arrival_delay_median: arrivalMedian!,
      arrival_delay_p90: arrivalP90!,
    });
  }
  return figures;
}

/** Figures per route per day (every airline's flights), keyed `<day ms>|<origin>|<destination>`. */
export function routeDays(flights: readonly FlightRecord[]): Map<string, RouteDayFigures> {
  const figures = new Map<string, RouteDayFigures>();
  const byRoute = groupBy(
    flights,
    (flight) => `${dayOf(flight)}|${flight.origin_airport}|${flight.destination_airport}`,
  );
  for (const [key, group] of byRoute) {
    const delays = group.filter(completed).map((flight) => flight.arrival_delay!);
    figures.set(key, {
      flights: group.length,
      arrival_delay_mean: delays.length === 0 ? null : mean(delays),
    });
  }
  return figures;
}
