/**
 * Flights (stream 5): per airline per day and per route per day figures, by the UTC date of the
 * scheduled departure, from flights.records (keyed by airline, so an airline's flights are all in
 * one partition and each of its figures is exact there).
 *
 * A day's state is kept per task in stores: per airline-day the counts and the delays of the
 * completed flights (the median and 90th percentile need them all: an airline flies at most some
 * thousands of flights a day), per airline-route-day three sums. The figures are written as they
 * change, as absolute values: each key a batch changed gets one row at the end of that batch
 * (`endBatch`), so a burst of thousands of flights writes each airline's row once, not thousands
 * of times. When a day closes (stream time past its end plus the grace) its rows are written a
 * last time with `final` set, and its state is evicted; a flight of a closed day is late.
 */
import { Gauge, Counter, type Registry } from 'prom-client';
import { mean, quantileSorted } from 'simple-statistics';
import { DAY_MS, bucketStart } from '../../common/time.ts';
import { DEFAULT_EVENT_TIME_RANGE, type EventTimeRange } from '../../common/decode.ts';
import {
  FLIGHTS,
  FLIGHTS_KEYSPACE,
  FLIGHTS_RECORDS_TOPIC,
  flightFacts,
  parseFlight,
  type AirlineDayRow,
  type FlightFacts,
  type FlightRecord,
  type FlightsTables,
  type RouteDayPart,
  SCHEMA_FILE,
} from './schema.ts';
import type { KeyValueStore } from '../../processor/dsl/store.ts';
import {
  ACCEPTED,
  source,
  tableRows,
  type Emitter,
  type PartitionProcessor,
  type TaskContext,
  type Topology,
} from '../../processor/dsl/topology.ts';
import { WindowCloser } from '../../processor/dsl/windows.ts';

export interface FlightsSettings {
  /** How long after a day's end its flights may still arrive and be counted. */
  graceMs: number;
}

const row = tableRows<FlightsTables>();

/** One airline's day so far. The delays are those of its completed flights, in arrival order. */
export interface AirlineDay {
  flights: number;
  cancelled: number;
  diverted: number;
  onTime: number;
  departureDelays: number[];
  arrivalDelays: number[];
}

/** One airline's part of one route's day: [flights, completed, sum of arrival delays]. */
type RoutePart = [number, number, number];

export function emptyAirlineDay(): AirlineDay {
  return { flights: 0, cancelled: 0, diverted: 0, onTime: 0, departureDelays: [], arrivalDelays: [] };
}

/** Counts a flight into its airline's day. */
export function addFlight(state: AirlineDay, facts: FlightFacts): AirlineDay {
  state.flights += 1;
  if (facts.cancelled) state.cancelled += 1;
  if (facts.diverted) state.diverted += 1;
  if (facts.departureDelay !== null && facts.arrivalDelay !== null) {
    state.departureDelays.push(facts.departureDelay);
    state.arrivalDelays.push(facts.arrivalDelay);
    if (facts.arrivalDelay <= FLIGHTS.onTimeMaxArrivalDelayMinutes) state.onTime += 1;
  }
  return state;
}

/** Mean, median and 90th percentile (simple-statistics' `quantile`), or nulls for no delays. */
function delayFigures(delays: readonly number[]): [number | null, number | null, number | null] {
  if (delays.length === 0) return [null, null, null];
  const sorted = [...delays].sort((a, b) => a - b);
  return [mean(sorted), quantileSorted(sorted, 0.5), quantileSorted(sorted, FLIGHTS.percentile)];
}

/** The row of an airline's day, by the definitions (README "Flights"). */
export function airlineDayRow(
  day: number,
  airline: string,
  state: AirlineDay,
  final: boolean,
): AirlineDayRow {
  const completed = state.arrivalDelays.length;
  const [departureMean, departureMedian, departureP90] = delayFigures(state.departureDelays);
  const [arrivalMean, arrivalMedian, arrivalP90] = delayFigures(state.arrivalDelays);
  return {
    day: new Date(day),
    airline,
    flights: state.flights,
    cancelled: state.cancelled,
    diverted: state.diverted,
    completed,
    on_time: state.onTime,
    on_time_share: completed === 0 ? null : state.onTime / completed,
    departure_delay_mean: departureMean,
    departure_delay_median: departureMedian,
    departure_delay_p90: departureP90,
    arrival_delay_mean: arrivalMean,
    arrival_delay_median: arrivalMedian,
    arrival_delay_p90: arrivalP90,
    final,
  };
}

const airlineKey = (day: number, airline: string) => `${day}|${airline}`;
const routeKey = (facts: FlightFacts) => `${facts.day}|${facts.airline}|${facts.origin}|${facts.destination}`;
const dayOf = (key: string) => Number(key.slice(0, key.indexOf('|')));

function routeRow(key: string, part: RoutePart, final: boolean): RouteDayPart {
  const [day, airline, origin, destination] = key.split('|') as [string, string, string, string];
  const [flights, completed, arrivalDelaySum] = part;
  return {
    day: new Date(Number(day)),
    origin,
    destination,
    airline,
    flights,
    completed,
    arrival_delay_sum: arrivalDelaySum,
    final,
  };
}

interface FlightsMetrics {
  flights: Gauge<'airline'>;
  onTimeShare: Gauge<'airline'>;
  delays: Gauge<'airline' | 'delay' | 'statistic'>;
  daysClosed: Counter;
}

const STATISTICS = ['mean', 'median', 'p90'] as const;

class FlightsAggregator implements PartitionProcessor<FlightRecord> {
  private readonly airlineDays: KeyValueStore<AirlineDay>;
  private readonly routes: KeyValueStore<RoutePart>;
  private readonly days: WindowCloser;
  /** Keys changed since the batch began: rebuilt by a redone batch, so never logged. */
  private readonly changedAirlineDays = new Set<string>();
  private readonly changedRoutes = new Set<string>();
  private readonly eventTimes: number[] = [];
  /** Airlines whose today's figures this task shows in the gauges. */
  private readonly shown = new Set<string>();

  constructor(
    private readonly task: TaskContext,
    settings: FlightsSettings,
    private readonly metrics: FlightsMetrics,
  ) {
    this.airlineDays = task.store('airline-days');
    this.routes = task.store('routes');
    this.days = new WindowCloser(task.store<number>('closed'), 'day', {
      sizeMs: DAY_MS,
      graceMs: settings.graceMs,
    });
  }

  process(flight: FlightRecord, eventTime: number) {
    const late = this.days.lateness(eventTime);
    if (late !== undefined) return { accepted: false as const, late };
    const facts = flightFacts(flight);
    const key = airlineKey(facts.day, facts.airline);
    const day = this.airlineDays.get(key) ?? emptyAirlineDay();
    if (day.flights >= FLIGHTS.maxFlightsPerAirlineDay) {
      // Thrown before any change: the task keeps the record as a dead letter with this reason.
      throw new Error(
        `${facts.airline} already has ${FLIGHTS.maxFlightsPerAirlineDay} flights on ${flight.date}, the most a day holds`,
      );
    }
    this.airlineDays.put(key, addFlight(day, facts));
    this.changedAirlineDays.add(key);
    const route = routeKey(facts);
    const part = this.routes.get(route) ?? [0, 0, 0];
    part[0] += 1;
    if (facts.arrivalDelay !== null) {
      part[1] += 1;
      part[2] += facts.arrivalDelay;
    }
    this.routes.put(route, part);
    this.changedRoutes.add(route);
    this.eventTimes.push(eventTime);
    return ACCEPTED;
  }

  /** Closes the days whose end plus grace stream time has passed: final rows, then eviction. */
  advance(out: Emitter): void {
    const closed = this.days.close(this.task.streamTime);
    if (closed === undefined) return;
    const isClosed = (key: string) => dayOf(key) + DAY_MS <= closed.last;
    let days = 0;
    for (const [key, state] of [...this.airlineDays.entries()]) {
      if (!isClosed(key)) continue;
      out.row(row('airline_days', airlineDayRow(dayOf(key), key.slice(key.indexOf('|') + 1), state, true)));
      this.airlineDays.delete(key);
      this.changedAirlineDays.delete(key);
      days += 1;
    }
    for (const [key, part] of [...this.routes.entries()]) {
      if (!isClosed(key)) continue;
      out.row(row('route_days', routeRow(key, part, true)));
      this.routes.delete(key);
      this.changedRoutes.delete(key);
    }
    if (days > 0) out.afterCommit(() => this.metrics.daysClosed.inc(days));
  }

  endBatch(out: Emitter): void {
    for (const key of this.changedAirlineDays) {
      const airline = key.slice(key.indexOf('|') + 1);
      out.row(row('airline_days', airlineDayRow(dayOf(key), airline, this.airlineDays.get(key)!, false)));
    }
    for (const key of this.changedRoutes)
      out.row(row('route_days', routeRow(key, this.routes.get(key)!, false)));
    for (const eventTime of this.eventTimes) out.stored(eventTime);
    if (this.changedAirlineDays.size > 0) this.showToday(out);
    this.changedAirlineDays.clear();
    this.changedRoutes.clear();
    this.eventTimes.length = 0;
  }

  /** Today (the UTC day of stream time) per airline in the gauges, set once the batch is committed. */
  private showToday(out: Emitter): void {
    const today = bucketStart(this.task.streamTime, DAY_MS);
    const rows: AirlineDayRow[] = [];
    for (const [key, state] of this.airlineDays.entries()) {
      if (dayOf(key) === today)
        rows.push(airlineDayRow(today, key.slice(key.indexOf('|') + 1), state, false));
    }
    out.afterCommit(() => {
      const { flights, onTimeShare, delays } = this.metrics;
      const airlines = new Set(rows.map((figures) => figures.airline));
      for (const airline of this.shown) {
        if (airlines.has(airline)) continue;
        flights.remove({ airline });
        onTimeShare.remove({ airline });
        for (const delay of ['departure', 'arrival'])
          for (const statistic of STATISTICS) delays.remove({ airline, delay, statistic });
        this.shown.delete(airline);
      }
      for (const figures of rows) {
        const { airline } = figures;
        this.shown.add(airline);
        flights.set({ airline }, figures.flights);
        if (figures.on_time_share === null) continue;
        onTimeShare.set({ airline }, figures.on_time_share);
        const values = {
          departure: [
            figures.departure_delay_mean,
            figures.departure_delay_median,
            figures.departure_delay_p90,
          ],
          arrival: [figures.arrival_delay_mean, figures.arrival_delay_median, figures.arrival_delay_p90],
        };
        for (const [delay, numbers] of Object.entries(values)) {
          STATISTICS.forEach((statistic, index) =>
            delays.set({ airline, delay, statistic }, numbers[index]!),
          );
        }
      }
    });
  }
}

export function createFlightsTopology(
  registry: Registry,
  settings: FlightsSettings,
  eventTimes: EventTimeRange = DEFAULT_EVENT_TIME_RANGE,
): Topology {
  const registers = [registry];
  const metrics: FlightsMetrics = {
    flights: new Gauge({
      name: 'flights_airline_flights',
      help: "Flights of the airline today (the UTC day of its partition's newest scheduled departure), cancelled and diverted included.",
      labelNames: ['airline'] as const,
      registers,
    }),
    onTimeShare: new Gauge({
      name: 'flights_airline_on_time_ratio',
      help: `Share of the airline's completed flights today that arrived at most ${FLIGHTS.onTimeMaxArrivalDelayMinutes} min late.`,
      labelNames: ['airline'] as const,
      registers,
    }),
    delays: new Gauge({
      name: 'flights_airline_delay_minutes',
      help: "Departure and arrival delay of the airline's completed flights today: mean, median and 90th percentile.",
      labelNames: ['airline', 'delay', 'statistic'] as const,
      registers,
    }),
    daysClosed: new Counter({
      name: 'flights_airline_days_closed_total',
      help: 'Airline-days closed (final rows written, state evicted).',
      registers,
    }),
  };
  return {
    name: 'flights',
    schema: { file: SCHEMA_FILE, keyspace: FLIGHTS_KEYSPACE },
    sources: [
      source<FlightRecord>({
        topic: FLIGHTS_RECORDS_TOPIC,
        partitions: 3,
        stateful: true,
        decode: (record) => parseFlight(record.value, eventTimes),
        eventTime: (flight) => Date.parse(flight.scheduled_departure),
        processor: (task) => new FlightsAggregator(task, settings, metrics),
      }),
    ],
    outputs: [],
  };
}
