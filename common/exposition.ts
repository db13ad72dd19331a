/** Reading Prometheus' text exposition format: what a scraper sees, for benchmarks and tests. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key!, value!]),
    );
    samples.push({ name: match[1]!, labels, value: parseBound(match[3]) });
  }
  return samples;
}

/** The value of the first sample with this name and these labels; undefined when not served. */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return parseSamples(text).find(
    (sample) =>
      sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  )?.value;
}

export interface HistogramBucket {
  le: number;
  count: number;
}

const parseBound = (le: string | undefined): number =>
  le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);

/** A histogram's cumulative buckets, in order of their upper bounds. */
export function histogramBuckets(text: string, name: string): HistogramBucket[] {
  return parseSamples(text)
    .filter((sample) => sample.name === `${name}_bucket`)
    .map((sample) => ({ le: parseBound(sample.labels['le']), count: sample.value }))
    .sort((a, b) => a.le - b.le);
}

/**
 * The q-quantile as Prometheus' histogram_quantile estimates it: linear within the bucket
 * that holds it; the upper bound of the last finite bucket when it falls in +Inf.
 */
export function histogramQuantile(q: number, buckets: HistogramBucket[]): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Number.POSITIVE_INFINITY) return lowerBound;
      const inBucket = bucket.count - lowerCount;
      return inBucket === 0
        ? bucket.le
        : lowerBound + ((bucket.le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return lowerBound;
}

/** Bucket counts of `after` minus `before`: what happened between two scrapes. */
export function bucketsBetween(before: HistogramBucket[], after: HistogramBucket[]): HistogramBucket[] {
  return after.map((bucket) => ({
    le: bucket.le,
    count: bucket.count - (before.find((earlier) => earlier.le === bucket.le)?.count ?? 0),
  }));
}
