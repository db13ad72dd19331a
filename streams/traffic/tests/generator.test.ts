import { describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../../common/time.ts';
import {
  PLATFORMS,
  TRAFFIC_BUSINESSES_TOPIC,
  TRAFFIC_PAGEVIEWS_TOPIC,
  parseBusiness,
  parsePageView,
  type Business,
  type PageView,
} from '../schema.ts';
import { trafficGenerator } from '../generator.ts';
import { DEFAULT_BUSINESSES, MAX_DISTANCE_KM, buildCatalogue, businessId } from '../catalogue.ts';
import {
  ENDLESS_RUN_PLAN_MS,
  MIN_SURGE_VIEWS_PER_MINUTE,
  SURGE_MULTIPLIER,
  SURGE_RANK_BAND,
  SURGE_WARMUP_MS,
  describeSurgePlan,
  pageViews,
  popularity,
  surgePlan,
  type PageViewsConfig,
} from '../pageviews.ts';
import { CITIES } from '../places.ts';
import { CATEGORIES } from '../words.ts';

const START = new Date('2026-01-01T00:00:00Z');
const traffic = trafficGenerator;

function config(overrides: Partial<PageViewsConfig> = {}): PageViewsConfig {
  return { seed: 7, businesses: 20_000, surges: 0, start: START, intervalMs: 10, ...overrides };
}

function firstViews(count: number, overrides: Partial<PageViewsConfig> = {}): PageView[] {
  const views: PageView[] = [];
  for (const view of pageViews(config({ count, ...overrides }))) {
    views.push(view);
    if (views.length === count) break;
  }
  return views;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

const fullCatalogue = (() => {
  const began = performance.now();
  const catalogue = buildCatalogue(DEFAULT_BUSINESSES);
  return { catalogue, buildMs: performance.now() - began, businesses: [...catalogue] };
})();

describe('the business catalogue', () => {
  it('draws from real cities in at least 8 countries and 20 to 40 categories', () => {
    expect(CITIES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CITIES.map((city) => city.country)).size).toBeGreaterThanOrEqual(8);
    expect(new Set(CITIES.map((city) => city.city)).size).toBe(CITIES.length);
    expect(CATEGORIES.length).toBeGreaterThanOrEqual(20);
    expect(CATEGORIES.length).toBeLessThanOrEqual(40);
    const paris = CITIES.find((city) => city.city === 'Paris')!;
    expect(paris.lat).toBeCloseTo(48.857, 2);
    expect(paris.lon).toBeCloseTo(2.352, 2);
    const sydney = CITIES.find((city) => city.city === 'Sydney')!;
    expect(sydney.lat).toBeCloseTo(-33.869, 2);
    expect(sydney.lon).toBeCloseTo(151.209, 2);
  });

  it('builds 200,000 businesses well under a second, every one accepted by the wire schema', () => {
    expect(fullCatalogue.buildMs).toBeLessThan(1000);
    const { businesses } = fullCatalogue;
    expect(businesses).toHaveLength(DEFAULT_BUSINESSES);
    const rejected = businesses
      .map((business) => parseBusiness(JSON.stringify(business)))
      .filter((parsed) => !parsed.ok);
    expect(rejected).toEqual([]);
    expect(businesses[0]!.business_id).toBe('b-000001');
    expect(businesses[DEFAULT_BUSINESSES - 1]!.business_id).toBe('b-200000');
    expect(businesses.every((business, index) => business.business_id === businessId(index, 200_000))).toBe(
      true,
    );
    expect(new Set(businesses.map((business) => business.name)).size).toBeGreaterThan(50_000);
    expect(new Set(businesses.map((business) => business.category)).size).toBe(CATEGORIES.length);
    expect(new Set(businesses.map((business) => business.city)).size).toBe(CITIES.length);
  });

  it('places each business within a few km of its city, bigger cities holding more of them', () => {
    const centre = new Map(CITIES.map((city) => [city.city, city]));
    let farthestKm = 0;
    for (const business of fullCatalogue.businesses) {
      const city = centre.get(business.city)!;
      if (business.country !== city.country) throw new Error(`${business.business_id} in the wrong country`);
      const northKm = (business.lat - city.lat) * 111.32;
      const eastKm = (business.lon - city.lon) * 111.32 * Math.cos((city.lat * Math.PI) / 180);
      farthestKm = Math.max(farthestKm, Math.hypot(northKm, eastKm));
    }
    expect(farthestKm).toBeLessThanOrEqual(MAX_DISTANCE_KM + 0.01);
    expect(farthestKm).toBeGreaterThan(MAX_DISTANCE_KM * 0.9);
    const perCity = countBy(fullCatalogue.businesses, (business) => business.city);
    expect(perCity.get('Tokyo')!).toBeGreaterThan(2 * perCity.get('Bristol')!);
  });

  it('does not depend on the seed or the size: a business id always names the same business', () => {
    const small = [...buildCatalogue(1000)];
    expect(small).toEqual(fullCatalogue.businesses.slice(0, 1000));
    expect(small[0]).toEqual<Business>({
      business_id: 'b-000001',
      name: 'Bell & Falcon Realty',
      category: 'real estate agency',
      city: 'London',
      country: 'United Kingdom',
      lat: 51.51466,
      lon: -0.15998,
    });
    // The reference data has no seed to depend on; two runs send the same records.
    const sent = [...traffic.referenceData!.events({ businesses: 1000, surges: 3 })];
    expect(sent).toEqual([...traffic.referenceData!.events({ businesses: 1000, surges: 0 })]);
    expect(sent.map((event) => JSON.parse(event.value) as Business)).toEqual(small);
    expect(sent.every((event) => event.key === (JSON.parse(event.value) as Business).business_id)).toBe(true);
    expect(traffic.referenceData!.topic).toBe(TRAFFIC_BUSINESSES_TOPIC);
  });

  it('widens ids past 999,999 businesses and refuses an index outside the catalogue', () => {
    expect(businessId(41, 200_000)).toBe('b-000042');
    expect(businessId(41, 1_500_000)).toBe('b-0000042');
    expect(() => buildCatalogue(10).business(10)).toThrow(RangeError);
  });
});

describe('pageViews', () => {
  const views = firstViews(100_000);

  it('gives identical views for the same seed and start, and different ones for another seed', () => {
    expect(firstViews(2000)).toEqual(views.slice(0, 2000));
    const otherSeed = firstViews(2000, { seed: 8 });
    expect(otherSeed.map((view) => view.business_id)).not.toEqual(
      views.slice(0, 2000).map((view) => view.business_id),
    );
  });

  it('produces views the wire schema accepts, with unique request ids and realistic platforms', () => {
    const rejected = views.map((view) => parsePageView(JSON.stringify(view))).filter((parsed) => !parsed.ok);
    expect(rejected).toEqual([]);
    expect(new Set(views.map((view) => view.request_id)).size).toBe(views.length);
    expect(views[0]!.request_id).toMatch(/^r-7-[0-9a-z]+-0$/);
    const platforms = countBy(views, (view) => view.platform);
    expect([...platforms.keys()].sort()).toEqual([...PLATFORMS].sort());
    expect(platforms.get('web')! / views.length).toBeCloseTo(0.42, 1);
    expect(new Set(views.map((view) => view.path))).toEqual(
      new Set(['/', '/menu', '/reviews', '/contact', '/book', '/photos', '/hours']),
    );
  });

  it('spaces event times by the interval, in UTC with milliseconds', () => {
    expect(views[0]!.event_time).toBe('2026-01-01T00:00:00.000Z');
    expect(views[1]!.event_time).toBe('2026-01-01T00:00:00.010Z');
    expect(views[6000]!.event_time).toBe('2026-01-01T00:01:00.000Z');
    const fast = firstViews(5000, { intervalMs: 0.25, start: new Date('2026-01-01T00:00:00.999Z') });
    const expected = fast.map((_, index) => new Date(START.getTime() + 999 + index * 0.25).toISOString());
    expect(fast.map((view) => view.event_time)).toEqual(expected);
  });

  it('is Zipf-skewed: the top 1% of businesses get over half the views, and not in id order', () => {
    const counts = [...countBy(views, (view) => view.business_id).entries()].sort((a, b) => b[1] - a[1]);
    const topOnePercent = counts.slice(0, 200).reduce((sum, [, count]) => sum + count, 0);
    expect(topOnePercent / views.length).toBeGreaterThan(0.5);
    const ranking = popularity(7, 20_000);
    expect(counts[0]![0]).toBe(businessId(ranking.byRank[0]!, 20_000));
    expect(counts[0]![1] / views.length).toBeCloseTo(ranking.share(1), 2);
    const topIds = counts.slice(0, 20).map(([id]) => id);
    expect(topIds.filter((id) => Number(id.slice(2)) <= 20).length).toBeLessThan(5);
  });

  it('sends each view keyed by its business id to the page-view topic, 4000 a second by default', () => {
    const events = traffic.events(
      { seed: 7, start: START, intervalMs: 10 },
      { businesses: 20_000, surges: 0 },
    );
    for (const view of views.slice(0, 1000)) {
      const event = events.next().value!;
      expect(event.key).toBe(view.business_id);
      expect(JSON.parse(event.value)).toEqual(view);
    }
    expect(traffic.defaultTopic).toBe(TRAFFIC_PAGEVIEWS_TOPIC);
    expect(traffic.defaultRate({ businesses: 20_000, surges: 0 })).toBe('4000/s');
    expect(traffic.sizeOptions.map((size) => [size.name, size.defaultValue, size.min ?? 1])).toEqual([
      ['businesses', 200_000, 1],
      ['surges', 0, 0],
    ]);
  });
});

describe('surges', () => {
  // 100 views a second for 40 minutes over 2000 businesses.
  const run = config({ seed: 11, businesses: 2000, surges: 4, intervalMs: 10, count: 240_000 });
  const plan = surgePlan(run);
  const views = firstViews(run.count!, run);

  it('plans distinct businesses from the middle of the ranking, after the warm-up, inside the run', () => {
    expect(plan).toHaveLength(4);
    expect(plan).toEqual(surgePlan(run));
    expect(surgePlan({ ...run, seed: 12 })).not.toEqual(plan);
    expect(new Set(plan.map((surge) => surge.business_id)).size).toBe(4);
    const runEnd = START.getTime() + run.count! * run.intervalMs;
    for (const surge of plan) {
      expect(surge.rank).toBeGreaterThan(2000 * SURGE_RANK_BAND.from);
      expect(surge.rank).toBeLessThanOrEqual(2000 * SURGE_RANK_BAND.to);
      expect(surge.start.getTime()).toBeGreaterThanOrEqual(START.getTime() + SURGE_WARMUP_MS);
      expect(surge.end.getTime()).toBeLessThanOrEqual(runEnd);
      const minutes = (surge.end.getTime() - surge.start.getTime()) / MINUTE_MS;
      expect(minutes).toBeGreaterThanOrEqual(3);
      expect(minutes).toBeLessThanOrEqual(5);
      expect(surge.multiplier).toBeGreaterThanOrEqual(SURGE_MULTIPLIER.min);
      expect(surge.multiplier).toBeLessThanOrEqual(SURGE_MULTIPLIER.max);
    }
    expect(plan.map((surge) => surge.start.getTime())).toEqual(
      plan.map((surge) => surge.start.getTime()).sort((a, b) => a - b),
    );
  });

  it('gives each planned business its promised multiple inside its window and its usual rate outside', () => {
    for (const surge of plan) {
      const times = views
        .filter((view) => view.business_id === surge.business_id)
        .map((view) => Date.parse(view.event_time));
      const inside = times.filter((time) => time >= surge.start.getTime() && time < surge.end.getTime());
      const windowMinutes = (surge.end.getTime() - surge.start.getTime()) / MINUTE_MS;
      const insideRate = inside.length / windowMinutes;
      const outsideRate = (times.length - inside.length) / (40 - windowMinutes);
      expect(insideRate).toBeGreaterThan(surge.viewsPerMinute * 0.8);
      expect(insideRate).toBeLessThan(surge.viewsPerMinute * 1.2);
      expect(outsideRate).toBeGreaterThan(surge.baseViewsPerMinute * 0.8);
      expect(outsideRate).toBeLessThan(surge.baseViewsPerMinute * 1.2);
      expect(insideRate / outsideRate).toBeGreaterThan(surge.multiplier * 0.75);
    }
  });

  it('leaves everything before the first surge as a run without surges has it', () => {
    const firstStart = plan[0]!.start.getTime();
    const before = views.filter((view) => Date.parse(view.event_time) < firstStart);
    expect(before.length).toBeGreaterThanOrEqual(SURGE_WARMUP_MS / run.intervalMs);
    expect(firstViews(before.length, { ...run, surges: 0 })).toEqual(before);
    expect(firstViews(before.length + 20_000, { ...run, surges: 0 })).not.toEqual(
      views.slice(0, before.length + 20_000),
    );
  });

  it('still brings a surge of at least the minimum views a minute at one view a second', () => {
    const slow = config({ seed: 3, businesses: 2000, surges: 2, intervalMs: 1000, count: 40 * 60 });
    const slowViews = firstViews(slow.count!, slow);
    for (const surge of surgePlan(slow)) {
      expect(surge.viewsPerMinute).toBeCloseTo(MIN_SURGE_VIEWS_PER_MINUTE);
      const inside = slowViews.filter((view) => {
        const time = Date.parse(view.event_time);
        return (
          view.business_id === surge.business_id &&
          time >= surge.start.getTime() &&
          time < surge.end.getTime()
        );
      });
      const windowMinutes = (surge.end.getTime() - surge.start.getTime()) / MINUTE_MS;
      expect(inside.length).toBeGreaterThan(MIN_SURGE_VIEWS_PER_MINUTE * windowMinutes * 0.7);
    }
  });

  it('spreads surges within a run too short for the warm-up, and over an hour for an endless run', () => {
    const shortRun = config({ seed: 5, businesses: 2000, surges: 6, intervalMs: 100, count: 6000 });
    for (const surge of surgePlan(shortRun)) {
      expect(surge.start.getTime()).toBeGreaterThanOrEqual(START.getTime());
      expect(surge.start.getTime()).toBeLessThan(START.getTime() + 10 * MINUTE_MS);
    }
    const endless = surgePlan(config({ seed: 5, businesses: 2000, surges: 6 }));
    for (const surge of endless) {
      expect(surge.start.getTime()).toBeGreaterThanOrEqual(START.getTime() + SURGE_WARMUP_MS);
      expect(surge.end.getTime()).toBeLessThanOrEqual(START.getTime() + ENDLESS_RUN_PLAN_MS);
    }
  });

  it('describes the plan in one line per surge, and nothing without surges', () => {
    const lines = describeSurgePlan(run);
    expect(lines).toHaveLength(plan.length);
    plan.forEach((surge, index) => {
      expect(lines[index]).toContain(surge.business_id);
      expect(lines[index]).toContain(surge.start.toISOString());
      expect(lines[index]).not.toContain('\n');
    });
    expect(describeSurgePlan({ ...run, surges: 0 })).toEqual([]);
    const timing = { seed: 11, start: START, intervalMs: 10, count: 240_000 };
    expect(traffic.describeRun!(timing, { businesses: 2000, surges: 4 })).toEqual(lines);
  });
});
