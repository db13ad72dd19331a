/**
 * The flights routes' parameters and answers as pure functions: tested without Cassandra.
 */
import { fail, ok, type Result } from '../../common/result.ts';
import { DAY_MS, bucketStart } from '../../common/time.ts';
import { routeDays, type AirlineDayRow, type RouteDay, type RouteDayPart } from './schema.ts';
import { AIRLINES, AIRPORTS_BY_CODE } from './network.ts';
import { excerpt, parseTime, queryTexts } from '../../batch/params.ts';

export const AIRLINES_QUERY = ['day'] as const;
export const ROUTES_QUERY = ['day', 'limit'] as const;
export const AIRPORTS_QUERY = ['day'] as const;

export const FLIGHTS_LIMITS = { defaultRoutes: 50, maxRoutes: 5000 } as const;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A day as YYYY-MM-DD (UTC), or any time in it (epoch ms, as Grafana's ${__to} gives it, or
 * ISO 8601); today when not given.
 */
export function dayParam(text: string | undefined, now: Date): Result<Date> {
  if (text === undefined) return ok(new Date(bucketStart(now.getTime(), DAY_MS)));
  const date = DATE.exec(text);
  if (date !== null) {
    const day = new Date(`${text}T00:00:00Z`);
    if (!Number.isNaN(day.getTime()) && day.getUTCDate() === Number(date[3])) return ok(day);
  }
  const time = date === null ? parseTime(text) : fail('');
  if (!time.ok)
    return fail(
      `day: expected a date like 2026-03-01, epoch milliseconds or an ISO-8601 time, got '${excerpt(text)}'`,
    );
  return ok(new Date(bucketStart(time.value.getTime(), DAY_MS)));
}

export function parseDayParams(query: Record<string, unknown>, now = new Date()): Result<{ day: Date }> {
  const texts = queryTexts(query, AIRLINES_QUERY);
  if (!texts.ok) return texts;
  const day = dayParam(texts.value.day, now);
  return day.ok ? ok({ day: day.value }) : day;
}

export function parseRoutesParams(
  query: Record<string, unknown>,
  now = new Date(),
): Result<{ day: Date; limit: number }> {
  const texts = queryTexts(query, ROUTES_QUERY);
  if (!texts.ok) return texts;
  const day = dayParam(texts.value.day, now);
  if (!day.ok) return day;
  const limitText = texts.value.limit;
  const limit = limitText === undefined ? FLIGHTS_LIMITS.defaultRoutes : Number(limitText);
  if (
    limitText !== undefined &&
    (!/^\d+$/.test(limitText) || limit < 1 || limit > FLIGHTS_LIMITS.maxRoutes)
  ) {
    return fail(
      `limit: expected an integer from 1 to ${FLIGHTS_LIMITS.maxRoutes}, got '${excerpt(limitText)}'`,
    );
  }
  return ok({ day: day.value, limit });
}

const AIRLINE_NAMES = new Map(AIRLINES.map((airline) => [airline.code, airline.name]));
const isoDay = (day: Date) => day.toISOString().slice(0, 10);

export type AirlineDayAnswer = Omit<AirlineDayRow, 'day'> & { name: string };

/** A day's airlines, most flights first, each with its name. */
export function airlinesAnswer(
  day: Date,
  rows: Omit<AirlineDayRow, 'day'>[],
): { day: string; airlines: AirlineDayAnswer[] } {
  return {
    day: isoDay(day),
    airlines: rows
      .map((row) => ({ ...row, name: AIRLINE_NAMES.get(row.airline) ?? row.airline }))
      .sort((a, b) => b.flights - a.flights || a.airline.localeCompare(b.airline)),
  };
}

export interface RouteAnswer extends RouteDay {
  origin_lat: number;
  origin_lon: number;
  destination_lat: number;
  destination_lon: number;
}

type Part = Omit<RouteDayPart, 'day'>;

/** A day's busiest routes (every airline's flights on it), with both ends' coordinates. */
export function routesAnswer(
  day: Date,
  parts: Part[],
  limit: number,
): { day: string; routes: RouteAnswer[] } {
  return {
    day: isoDay(day),
    routes: routeDays(parts)
      .slice(0, limit)
      .map((route) => {
        const origin = AIRPORTS_BY_CODE.get(route.origin);
        const destination = AIRPORTS_BY_CODE.get(route.destination);
        return {
          ...route,
          origin_lat: origin?.lat ?? 0,
          origin_lon: origin?.lon ?? 0,
          destination_lat: destination?.lat ?? 0,
          destination_lon: destination?.lon ?? 0,
        };
      }),
  };
}

export interface AirportAnswer {
  airport: string;
  city: string;
  lat: number;
  lon: number;
  departures: number;
  arrivals: number;
  /** Departures and arrivals. */
  flights: number;
}

/** A day's airports by flights (departures and arrivals), for the map. */
export function airportsAnswer(day: Date, parts: Part[]): { day: string; airports: AirportAnswer[] } {
  const airports = new Map<string, AirportAnswer>();
  const count = (code: string, field: 'departures' | 'arrivals', flights: number) => {
    const airport = AIRPORTS_BY_CODE.get(code);
    if (airport === undefined) return;
    const entry = airports.get(code) ?? {
      airport: code,
      city: airport.city,
      lat: airport.lat,
      lon: airport.lon,
      departures: 0,
      arrivals: 0,
      flights: 0,
    };
    entry[field] += flights;
    entry.flights += flights;
    airports.set(code, entry);
  };
  for (const part of parts) {
    count(part.origin, 'departures', part.flights);
    count(part.destination, 'arrivals', part.flights);
  }
  return {
    day: isoDay(day),
    airports: [...airports.values()].sort(
      (a, b) => b.flights - a.flights || a.airport.localeCompare(b.airport),
    ),
  };
}
