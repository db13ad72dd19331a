import { expect, test } from 'vitest';
import {
  FLIGHTS_LIMITS,
  airlinesAnswer,
  airportsAnswer,
  parseDayParams,
  parseRoutesParams,
  routesAnswer,
} from '../api.ts';
import { flights } from '../manifest.ts';

const NOW = new Date('2026-03-02T08:30:00Z');
const MARCH_1 = new Date('2026-03-01T00:00:00Z');

test('day: a date, a time in it (epoch ms or ISO) or today; anything else refused by name', () => {
  expect(parseDayParams({ day: '2026-03-01' }, NOW)).toEqual({ ok: true, value: { day: MARCH_1 } });
  expect(parseDayParams({ day: String(Date.parse('2026-03-01T23:59:00Z')) }, NOW)).toEqual({
    ok: true,
    value: { day: MARCH_1 },
  });
  expect(parseDayParams({ day: '2026-03-01T05:00:00-05:00' }, NOW)).toEqual({
    ok: true,
    value: { day: MARCH_1 },
  });
  expect(parseDayParams({}, NOW)).toEqual({ ok: true, value: { day: new Date('2026-03-02T00:00:00Z') } });
  for (const day of ['2026-02-30', 'yesterday', '2026-3-1']) {
    const parsed = parseDayParams({ day }, NOW);
    expect(parsed.ok ? '' : parsed.reason).toMatch(/^day: expected a date like 2026-03-01/);
  }
  const unknown = parseDayParams({ date: '2026-03-01' }, NOW);
  expect(unknown.ok ? '' : unknown.reason).toBe('date: unknown parameter; this route takes only day');
});

test('limit: 50 by default, an integer within bounds otherwise', () => {
  expect(parseRoutesParams({ day: '2026-03-01' }, NOW)).toEqual({
    ok: true,
    value: { day: MARCH_1, limit: 50 },
  });
  expect(parseRoutesParams({ limit: '7' }, NOW).ok).toBe(true);
  for (const limit of ['0', '-1', '2.5', String(FLIGHTS_LIMITS.maxRoutes + 1), 'ten']) {
    const parsed = parseRoutesParams({ limit }, NOW);
    expect(parsed.ok ? '' : parsed.reason).toMatch(/^limit: expected an integer from 1 to 5000/);
  }
});

const part = (
  origin: string,
  destination: string,
  airline: string,
  flights: number,
  completed: number,
  sum: number,
  final = true,
) => ({
  origin,
  destination,
  airline,
  flights,
  completed,
  arrival_delay_sum: sum,
  final,
});

test("a route's figures are its airlines' parts summed; the busiest first, limited; ends placed on the map", () => {
  const parts = [
    part('ATL', 'LGA', 'DL', 10, 9, 90),
    part('ATL', 'LGA', '9E', 4, 3, -30, false),
    part('DEN', 'LAS', 'WN', 12, 12, 24),
    part('JFK', 'LAX', 'B6', 2, 0, 0),
  ];
  const answer = routesAnswer(MARCH_1, parts, 2);
  expect(answer.day).toBe('2026-03-01');
  expect(
    answer.routes.map((route) => [
      route.origin,
      route.destination,
      route.flights,
      route.arrival_delay_mean,
      route.final,
    ]),
  ).toEqual([
    ['ATL', 'LGA', 14, 5, false],
    ['DEN', 'LAS', 12, 2, true],
  ]);
  expect(answer.routes[0]).toMatchObject({
    origin_lat: 33.6407,
    origin_lon: -84.4277,
    destination_lat: 40.7769,
  });
  expect(routesAnswer(MARCH_1, parts, 10).routes.at(-1)).toMatchObject({
    origin: 'JFK',
    arrival_delay_mean: null,
  });
  const airports = airportsAnswer(MARCH_1, parts).airports;
  expect(airports[0]).toMatchObject({ airport: 'ATL', departures: 14, arrivals: 0, flights: 14 });
  expect(airports.find((airport) => airport.airport === 'LAS')).toMatchObject({ arrivals: 12, lat: 36.084 });
});

test("a day's airlines, most flights first, with their names", () => {
  const row = (airline: string, flights: number) => ({
    airline,
    flights,
    cancelled: 0,
    diverted: 0,
    completed: flights,
    on_time: flights,
    on_time_share: 1,
    departure_delay_mean: 0,
    departure_delay_median: 0,
    departure_delay_p90: 0,
    arrival_delay_mean: 0,
    arrival_delay_median: 0,
    arrival_delay_p90: 0,
    final: false,
  });
  const answer = airlinesAnswer(MARCH_1, [row('HA', 3), row('WN', 30)]);
  expect(answer.airlines.map((airline) => [airline.airline, airline.name])).toEqual([
    ['WN', 'Southwest Airlines'],
    ['HA', 'Hawaiian Airlines'],
  ]);
});

test('the flights keyspace has a setting of its own', () => {
  expect(flights.configure({}).keyspace).toBe('flights');
  expect(flights.configure({ CASSANDRA_KEYSPACE_FLIGHTS: 'f_1' }).keyspace).toBe('f_1');
});
