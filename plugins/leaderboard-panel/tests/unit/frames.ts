import {
  FieldType,
  createTheme,
  getDisplayProcessor,
  getLinksSupplier,
  toDataFrame,
  type DataFrame,
  type DataLink,
  type FieldConfig,
  type InterpolateFunction,
} from '@grafana/data';

const SCORE_THRESHOLDS = {
  mode: 'absolute',
  steps: [
    { color: 'red', value: -Infinity },
    { color: 'orange', value: 2 },
    { color: 'green', value: 5 },
  ],
} as FieldConfig['thresholds'];

/** Grafana's field display, as it sets it up before a panel renders. */
function withDisplay(frame: DataFrame, mode: 'light' | 'dark'): DataFrame {
  const theme = createTheme({ colors: { mode } });
  for (const field of frame.fields) field.display = getDisplayProcessor({ field, theme });
  return frame;
}

/** A leaderboard frame as the query API returns it, with Grafana's field display applied. */
export function leaderboardFrame(
  rows: number,
  mode: 'light' | 'dark' = 'dark',
  withSeries = true,
): DataFrame {
  const frame = toDataFrame({
    fields: [
      { name: 'rank', values: Array.from({ length: rows }, (_, index) => index + 1) },
      { name: 'name', values: Array.from({ length: rows }, (_, index) => `Person ${index + 1}`) },
      { name: 'low_count', values: Array.from({ length: rows }, (_, index) => rows - index) },
      {
        name: 'avg_score',
        values: Array.from({ length: rows }, (_, index) =>
          index % 3 === 0 ? 1.234 : index % 3 === 1 ? 3.5 : 7.25,
        ),
        config: { decimals: 1, thresholds: SCORE_THRESHOLDS },
      },
      ...(withSeries
        ? [
            {
              name: 'recent_scores',
              values: Array.from({ length: rows }, (_, index) => `${index % 10},1.5,8,${(index * 7) % 10}`),
            },
          ]
        : []),
    ],
  });
  return withDisplay(frame, mode);
}

/** Another stream's top list: businesses by surge, with views, trailing average and city. */
export function surgeFrame(rows: number, mode: 'light' | 'dark' = 'dark'): DataFrame {
  const frame = toDataFrame({
    fields: [
      { name: 'rank', type: FieldType.number, values: Array.from({ length: rows }, (_, index) => index + 1) },
      {
        name: 'business_id',
        type: FieldType.string,
        values: Array.from({ length: rows }, (_, index) => `b-${String(index + 1).padStart(5, '0')}`),
      },
      {
        name: 'name',
        type: FieldType.string,
        values: Array.from({ length: rows }, (_, index) => `Café & Bar ${index + 1}`),
      },
      { name: 'city', type: FieldType.string, values: Array.from({ length: rows }, () => 'Lyon') },
      {
        name: 'views_60s',
        type: FieldType.number,
        values: Array.from({ length: rows }, (_, index) => 120 - index * 10),
      },
      {
        name: 'trailing_avg',
        type: FieldType.number,
        config: { decimals: 1 },
        values: Array.from({ length: rows }, () => 10),
      },
      {
        name: 'surge',
        type: FieldType.number,
        config: {
          decimals: 1,
          unit: 'suffix:×',
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: 'green', value: -Infinity },
              { color: 'red', value: 5 },
            ],
          },
        } as FieldConfig,
        values: Array.from({ length: rows }, (_, index) => 12 - index),
      },
    ],
  });
  return withDisplay(frame, mode);
}

/**
 * Grafana's interpolation of a data link, as far as these tests need it: ${__data.fields.<name>}
 * of the row the link is asked for, URI-encoded in URLs as Grafana encodes them.
 */
export const interpolateDataFields: InterpolateFunction = (text, scopedVars, format) => {
  const context = scopedVars?.['__dataContext']?.value as { frame: DataFrame; rowIndex?: number } | undefined;
  return text.replace(/\$\{__data\.fields\.([\w.-]+)\}/g, (_, name: string) => {
    const field = context?.frame.fields.find((candidate) => candidate.name === name);
    const value = field && context?.rowIndex !== undefined ? field.values[context.rowIndex] : '';
    return format === 'uriencode' ? encodeURIComponent(String(value ?? '')) : String(value ?? '');
  });
};

/** Field config links on every field, as the panel defaults give them, with Grafana's link supplier. */
export function withDataLinks(frame: DataFrame, links: DataLink[]): DataFrame {
  for (const field of frame.fields) {
    field.config = { ...field.config, links };
    field.getLinks = getLinksSupplier(frame, field, {}, interpolateDataFields);
  }
  return frame;
}

export const SELECT_BUSINESS: DataLink = {
  title: 'Show ${__data.fields.name}',
  url: '/d/traffic?var-business=${__data.fields.business_id}',
};
