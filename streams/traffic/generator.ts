import type { EventTiming, StreamDefinition, StreamEvent } from '../../generators/streams.ts';
import { buildCatalogue, DEFAULT_BUSINESSES } from './catalogue.ts';
import { describeSurgePlan, pageViews, SURGE_MULTIPLIER, type PageViewsConfig } from './pageviews.ts';
import { TRAFFIC_BUSINESSES_TOPIC, TRAFFIC_PAGEVIEWS_TOPIC } from './schema.ts';

function trafficConfig(timing: EventTiming, sizes: Record<string, number>): PageViewsConfig {
  return { ...timing, businesses: sizes['businesses'] ?? DEFAULT_BUSINESSES, surges: sizes['surges'] ?? 0 };
}

function* pageViewEvents(timing: EventTiming, sizes: Record<string, number>): Generator<StreamEvent> {
  for (const view of pageViews(trafficConfig(timing, sizes))) {
    yield { key: view.business_id, value: JSON.stringify(view) };
  }
}

function* catalogueEvents(businesses: number): Generator<StreamEvent> {
  for (const business of buildCatalogue(businesses)) {
    yield { key: business.business_id, value: JSON.stringify(business) };
  }
}

export const trafficGenerator: StreamDefinition = {
  summary:
    'Web traffic: page views of a catalogue of businesses, Zipf-popular, with planned surges; ' +
    `the catalogue goes to ${TRAFFIC_BUSINESSES_TOPIC} first`,
  defaultTopic: TRAFFIC_PAGEVIEWS_TOPIC,
  sizeOptions: [
    {
      name: 'businesses',
      description: 'number of businesses in the catalogue',
      defaultValue: DEFAULT_BUSINESSES,
    },
    {
      name: 'surges',
      description:
        `number of businesses whose views surge ${SURGE_MULTIPLIER.min}-${SURGE_MULTIPLIER.max}x ` +
        'for 3-5 min (chosen by the seed; the plan is printed at start)',
      defaultValue: 0,
      min: 0,
    },
  ],
  defaultRate: () => '4000/s',
  events: pageViewEvents,
  referenceData: {
    topic: TRAFFIC_BUSINESSES_TOPIC,
    events: (sizes) => catalogueEvents(sizes['businesses'] ?? DEFAULT_BUSINESSES),
  },
  describeRun: (timing, sizes) => describeSurgePlan(trafficConfig(timing, sizes)),
};
