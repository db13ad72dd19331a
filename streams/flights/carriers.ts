/**
 * How each airline flies in the generator: its share of US flights, its hubs, and its delay
 * profile. Shares and profiles are close to the carriers' 2023 figures in the BTS on-time data
 * (Hawaiian and Delta on time most often, the low-cost carriers least).
 */

export interface CarrierProfile {
  code: string;
  /** Share of all flights (relative weight). */
  share: number;
  /** Airports the airline flies most of its flights from or to. */
  hubs: readonly string[];
  /**
   * Airports it serves: '*' for the busiest `reach` airports of the network, or a list (Hawaiian's
   * island and West Coast routes).
   */
  serves: number | readonly string[];
  /** The chance a flight pushes back late on an ordinary day. */
  lateShare: number;
  /** Median departure delay of a late flight, minutes. */
  lateMedianMinutes: number;
  cancelShare: number;
  divertShare: number;
  /** The letters ending the airline's registrations (N123WN). */
  tailSuffix: string;
}

export const CARRIERS: readonly CarrierProfile[] = [
  {
    code: 'WN',
    share: 18.5,
    hubs: ['MDW', 'DAL', 'HOU', 'BWI', 'LAS', 'DEN', 'PHX', 'OAK', 'MCO', 'BNA'],
    serves: 80,
    lateShare: 0.3,
    lateMedianMinutes: 24,
    cancelShare: 0.014,
    divertShare: 0.002,
    tailSuffix: 'WN',
  },
  {
    code: 'DL',
    share: 13,
    hubs: ['ATL', 'DTW', 'MSP', 'SLC', 'SEA', 'JFK', 'LGA', 'BOS', 'LAX'],
    serves: 95,
    lateShare: 0.19,
    lateMedianMinutes: 27,
    cancelShare: 0.008,
    divertShare: 0.002,
    tailSuffix: 'DN',
  },
  {
    code: 'AA',
    share: 13,
    hubs: ['DFW', 'CLT', 'ORD', 'MIA', 'PHL', 'PHX', 'DCA', 'LAX'],
    serves: 95,
    lateShare: 0.27,
    lateMedianMinutes: 33,
    cancelShare: 0.017,
    divertShare: 0.003,
    tailSuffix: 'AA',
  },
  {
    code: 'UA',
    share: 10,
    hubs: ['ORD', 'DEN', 'IAH', 'EWR', 'SFO', 'IAD', 'LAX'],
    serves: 90,
    lateShare: 0.25,
    lateMedianMinutes: 31,
    cancelShare: 0.013,
    divertShare: 0.003,
    tailSuffix: 'UA',
  },
  {
    code: 'OO',
    share: 10,
    hubs: ['DEN', 'ORD', 'SLC', 'SFO', 'LAX', 'DTW', 'MSP', 'PHX', 'SEA'],
    serves: 100,
    lateShare: 0.2,
    lateMedianMinutes: 36,
    cancelShare: 0.016,
    divertShare: 0.003,
    tailSuffix: 'SY',
  },
  {
    code: 'B6',
    share: 4,
    hubs: ['JFK', 'BOS', 'FLL', 'MCO', 'EWR', 'SJU'],
    serves: 60,
    lateShare: 0.36,
    lateMedianMinutes: 40,
    cancelShare: 0.022,
    divertShare: 0.003,
    tailSuffix: 'JB',
  },
  {
    code: 'NK',
    share: 4,
    hubs: ['FLL', 'LAS', 'MCO', 'DTW', 'DFW'],
    serves: 60,
    lateShare: 0.31,
    lateMedianMinutes: 35,
    cancelShare: 0.018,
    divertShare: 0.002,
    tailSuffix: 'NK',
  },
  {
    code: 'AS',
    share: 3.6,
    hubs: ['SEA', 'PDX', 'ANC', 'SFO', 'LAX'],
    serves: 70,
    lateShare: 0.22,
    lateMedianMinutes: 26,
    cancelShare: 0.01,
    divertShare: 0.002,
    tailSuffix: 'AS',
  },
  {
    code: 'YX',
    share: 4,
    hubs: ['EWR', 'LGA', 'DCA', 'ORD', 'IND', 'PHL', 'CLT'],
    serves: 70,
    lateShare: 0.18,
    lateMedianMinutes: 32,
    cancelShare: 0.014,
    divertShare: 0.002,
    tailSuffix: 'YX',
  },
  {
    code: 'MQ',
    share: 3.6,
    hubs: ['DFW', 'ORD', 'MIA', 'LGA', 'CLT'],
    serves: 70,
    lateShare: 0.22,
    lateMedianMinutes: 33,
    cancelShare: 0.02,
    divertShare: 0.002,
    tailSuffix: 'MQ',
  },
  {
    code: '9E',
    share: 3.5,
    hubs: ['ATL', 'DTW', 'MSP', 'LGA', 'JFK'],
    serves: 70,
    lateShare: 0.17,
    lateMedianMinutes: 35,
    cancelShare: 0.013,
    divertShare: 0.002,
    tailSuffix: 'EV',
  },
  {
    code: 'OH',
    share: 3.4,
    hubs: ['CLT', 'DCA', 'PHL'],
    serves: 60,
    lateShare: 0.22,
    lateMedianMinutes: 33,
    cancelShare: 0.019,
    divertShare: 0.002,
    tailSuffix: 'PS',
  },
  {
    code: 'F9',
    share: 2.6,
    hubs: ['DEN', 'LAS', 'MCO', 'PHL', 'ATL'],
    serves: 70,
    lateShare: 0.37,
    lateMedianMinutes: 40,
    cancelShare: 0.02,
    divertShare: 0.003,
    tailSuffix: 'FR',
  },
  {
    code: 'G4',
    share: 1.7,
    hubs: ['LAS', 'PHX', 'SRQ', 'PNS', 'MYR'],
    serves: 100,
    lateShare: 0.3,
    lateMedianMinutes: 35,
    cancelShare: 0.025,
    divertShare: 0.003,
    tailSuffix: 'NV',
  },
  {
    code: 'HA',
    share: 1.2,
    hubs: ['HNL', 'OGG'],
    serves: [
      'HNL',
      'OGG',
      'KOA',
      'LIH',
      'LAX',
      'SFO',
      'SEA',
      'SAN',
      'PDX',
      'OAK',
      'SJC',
      'LAS',
      'PHX',
      'SMF',
    ],
    lateShare: 0.12,
    lateMedianMinutes: 18,
    cancelShare: 0.005,
    divertShare: 0.001,
    tailSuffix: 'HA',
  },
];
