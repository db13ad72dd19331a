/**
 * The airlines and airports flight records may name: a record naming any other is a dead letter.
 * The carriers are those reporting to the US Bureau of Transportation Statistics' on-time data;
 * the airports are 102 of the busiest US airports, with the coordinates of their terminals.
 */

export interface Airline {
  code: string;
  name: string;
}

export const AIRLINES: readonly Airline[] = [
  { code: 'WN', name: 'Southwest Airlines' },
  { code: 'DL', name: 'Delta Air Lines' },
  { code: 'AA', name: 'American Airlines' },
  { code: 'UA', name: 'United Air Lines' },
  { code: 'OO', name: 'SkyWest Airlines' },
  { code: 'B6', name: 'JetBlue Airways' },
  { code: 'NK', name: 'Spirit Air Lines' },
  { code: 'AS', name: 'Alaska Airlines' },
  { code: 'YX', name: 'Republic Airline' },
  { code: 'MQ', name: 'Envoy Air' },
  { code: '9E', name: 'Endeavor Air' },
  { code: 'OH', name: 'PSA Airlines' },
  { code: 'F9', name: 'Frontier Airlines' },
  { code: 'G4', name: 'Allegiant Air' },
  { code: 'HA', name: 'Hawaiian Airlines' },
];

export interface Airport {
  code: string;
  city: string;
  state: string;
  lat: number;
  lon: number;
}

const airport = (code: string, city: string, state: string, lat: number, lon: number): Airport => ({
  code,
  city,
  state,
  lat,
  lon,
});

/** Busiest first: the generator weighs an airport's traffic by its place in this list. */
export const AIRPORTS: readonly Airport[] = [
  airport('ATL', 'Atlanta', 'GA', 33.6407, -84.4277),
  airport('DFW', 'Dallas/Fort Worth', 'TX', 32.8998, -97.0403),
  airport('DEN', 'Denver', 'CO', 39.8561, -104.6737),
  airport('ORD', 'Chicago', 'IL', 41.9742, -87.9073),
  airport('LAX', 'Los Angeles', 'CA', 33.9416, -118.4085),
  airport('JFK', 'New York', 'NY', 40.6413, -73.7781),
  airport('CLT', 'Charlotte', 'NC', 35.214, -80.9431),
  airport('LAS', 'Las Vegas', 'NV', 36.084, -115.1537),
  airport('MCO', 'Orlando', 'FL', 28.4312, -81.3081),
  airport('MIA', 'Miami', 'FL', 25.7959, -80.287),
  airport('PHX', 'Phoenix', 'AZ', 33.4342, -112.0116),
  airport('SEA', 'Seattle', 'WA', 47.4502, -122.3088),
  airport('SFO', 'San Francisco', 'CA', 37.6213, -122.379),
  airport('EWR', 'Newark', 'NJ', 40.6895, -74.1745),
  airport('IAH', 'Houston', 'TX', 29.9902, -95.3368),
  airport('BOS', 'Boston', 'MA', 42.3656, -71.0096),
  airport('FLL', 'Fort Lauderdale', 'FL', 26.0742, -80.1506),
  airport('MSP', 'Minneapolis', 'MN', 44.8848, -93.2223),
  airport('LGA', 'New York', 'NY', 40.7769, -73.874),
  airport('DTW', 'Detroit', 'MI', 42.2162, -83.3554),
  airport('PHL', 'Philadelphia', 'PA', 39.8744, -75.2424),
  airport('SLC', 'Salt Lake City', 'UT', 40.7899, -111.9791),
  airport('BWI', 'Baltimore', 'MD', 39.1754, -76.6683),
  airport('DCA', 'Washington', 'DC', 38.8512, -77.0402),
  airport('SAN', 'San Diego', 'CA', 32.7338, -117.1933),
  airport('IAD', 'Washington Dulles', 'VA', 38.9531, -77.4565),
  airport('TPA', 'Tampa', 'FL', 27.9755, -82.5332),
  airport('BNA', 'Nashville', 'TN', 36.1263, -86.6774),
  airport('AUS', 'Austin', 'TX', 30.1975, -97.6664),
  airport('MDW', 'Chicago Midway', 'IL', 41.7868, -87.7522),
  airport('HNL', 'Honolulu', 'HI', 21.3187, -157.9225),
  airport('DAL', 'Dallas Love Field', 'TX', 32.8471, -96.8518),
  airport('PDX', 'Portland', 'OR', 45.5898, -122.5951),
  airport('STL', 'St. Louis', 'MO', 38.7487, -90.37),
  airport('RDU', 'Raleigh/Durham', 'NC', 35.8801, -78.788),
  airport('HOU', 'Houston Hobby', 'TX', 29.6454, -95.2789),
  airport('SMF', 'Sacramento', 'CA', 38.6951, -121.5908),
  airport('MSY', 'New Orleans', 'LA', 29.9934, -90.258),
  airport('SJC', 'San Jose', 'CA', 37.3639, -121.9289),
  airport('SNA', 'Santa Ana', 'CA', 33.6762, -117.8675),
  airport('MCI', 'Kansas City', 'MO', 39.2976, -94.7139),
  airport('OAK', 'Oakland', 'CA', 37.7126, -122.2197),
  airport('SAT', 'San Antonio', 'TX', 29.5337, -98.4698),
  airport('RSW', 'Fort Myers', 'FL', 26.5362, -81.7552),
  airport('CLE', 'Cleveland', 'OH', 41.4058, -81.8539),
  airport('IND', 'Indianapolis', 'IN', 39.7169, -86.2956),
  airport('PIT', 'Pittsburgh', 'PA', 40.4915, -80.2329),
  airport('CVG', 'Cincinnati', 'KY', 39.0489, -84.6678),
  airport('CMH', 'Columbus', 'OH', 39.998, -82.8919),
  airport('PBI', 'West Palm Beach', 'FL', 26.6832, -80.0956),
  airport('JAX', 'Jacksonville', 'FL', 30.4941, -81.6879),
  airport('OGG', 'Kahului', 'HI', 20.8986, -156.4305),
  airport('BDL', 'Hartford', 'CT', 41.9389, -72.6832),
  airport('ANC', 'Anchorage', 'AK', 61.1743, -149.9962),
  airport('BUR', 'Burbank', 'CA', 34.1975, -118.3585),
  airport('ONT', 'Ontario', 'CA', 34.056, -117.6012),
  airport('MKE', 'Milwaukee', 'WI', 42.9472, -87.8966),
  airport('ABQ', 'Albuquerque', 'NM', 35.0402, -106.609),
  airport('OMA', 'Omaha', 'NE', 41.3032, -95.8941),
  airport('CHS', 'Charleston', 'SC', 32.8986, -80.0405),
  airport('RIC', 'Richmond', 'VA', 37.5052, -77.3197),
  airport('BOI', 'Boise', 'ID', 43.5644, -116.2228),
  airport('ELP', 'El Paso', 'TX', 31.8072, -106.3776),
  airport('TUS', 'Tucson', 'AZ', 32.1161, -110.941),
  airport('OKC', 'Oklahoma City', 'OK', 35.3931, -97.6007),
  airport('MEM', 'Memphis', 'TN', 35.0424, -89.9767),
  airport('SDF', 'Louisville', 'KY', 38.1744, -85.736),
  airport('BHM', 'Birmingham', 'AL', 33.5629, -86.7535),
  airport('BUF', 'Buffalo', 'NY', 42.9405, -78.7322),
  airport('ORF', 'Norfolk', 'VA', 36.8946, -76.2012),
  airport('TUL', 'Tulsa', 'OK', 36.1984, -95.8881),
  airport('GEG', 'Spokane', 'WA', 47.6199, -117.5338),
  airport('PVD', 'Providence', 'RI', 41.724, -71.4282),
  airport('SAV', 'Savannah', 'GA', 32.1276, -81.2021),
  airport('RNO', 'Reno', 'NV', 39.4991, -119.7681),
  airport('ALB', 'Albany', 'NY', 42.7483, -73.8017),
  airport('LIT', 'Little Rock', 'AR', 34.7294, -92.2243),
  airport('KOA', 'Kailua-Kona', 'HI', 19.7388, -156.0456),
  airport('LIH', 'Lihue', 'HI', 21.976, -159.339),
  airport('GRR', 'Grand Rapids', 'MI', 42.8808, -85.5228),
  airport('SYR', 'Syracuse', 'NY', 43.1112, -76.1063),
  airport('ROC', 'Rochester', 'NY', 43.1189, -77.6724),
  airport('DSM', 'Des Moines', 'IA', 41.534, -93.6631),
  airport('PSP', 'Palm Springs', 'CA', 33.8297, -116.5067),
  airport('MYR', 'Myrtle Beach', 'SC', 33.6797, -78.9283),
  airport('GSP', 'Greenville/Spartanburg', 'SC', 34.8957, -82.2189),
  airport('PNS', 'Pensacola', 'FL', 30.4734, -87.1866),
  airport('SRQ', 'Sarasota', 'FL', 27.3954, -82.5544),
  airport('ICT', 'Wichita', 'KS', 37.6499, -97.4331),
  airport('LGB', 'Long Beach', 'CA', 33.8177, -118.1516),
  airport('TYS', 'Knoxville', 'TN', 35.811, -83.994),
  airport('MSN', 'Madison', 'WI', 43.1399, -89.3375),
  airport('PWM', 'Portland', 'ME', 43.6462, -70.3093),
  airport('SJU', 'San Juan', 'PR', 18.4394, -66.0018),
  airport('COS', 'Colorado Springs', 'CO', 38.8058, -104.7007),
  airport('HSV', 'Huntsville', 'AL', 34.6372, -86.7751),
  airport('GSO', 'Greensboro', 'NC', 36.0978, -79.9373),
  airport('CAE', 'Columbia', 'SC', 33.9388, -81.1195),
  airport('FAT', 'Fresno', 'CA', 36.7762, -119.7181),
  airport('SBA', 'Santa Barbara', 'CA', 34.4262, -119.8404),
  airport('BZN', 'Bozeman', 'MT', 45.7775, -111.153),
  airport('ECP', 'Panama City', 'FL', 30.3571, -85.7954),
];

export const AIRLINE_CODES: ReadonlySet<string> = new Set(AIRLINES.map((airline) => airline.code));
export const AIRPORTS_BY_CODE: ReadonlyMap<string, Airport> = new Map(
  AIRPORTS.map((entry) => [entry.code, entry]),
);

const EARTH_RADIUS_MILES = 3958.8;
const radians = (degrees: number) => (degrees * Math.PI) / 180;

/** Great-circle distance in whole miles, as the on-time data's DISTANCE column gives it. */
export function distanceMiles(from: Airport, to: Airport): number {
  const dLat = radians(to.lat - from.lat);
  const dLon = radians(to.lon - from.lon);
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(radians(from.lat)) * Math.cos(radians(to.lat)) * Math.sin(dLon / 2) ** 2;
  return Math.round(2 * EARTH_RADIUS_MILES * Math.asin(Math.sqrt(h)));
}
