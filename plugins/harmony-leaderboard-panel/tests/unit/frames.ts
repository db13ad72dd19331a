import {
  createTheme,
  getDisplayProcessor,
  toDataFrame,
  type DataFrame,
  type FieldConfig,
} from '@grafana/data';

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
        config: {
          decimals: 1,
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: 'red', value: -Infinity },
              { color: 'orange', value: 2 },
              { color: 'green', value: 5 },
            ],
          },
        } as FieldConfig,
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
  const theme = createTheme({ colors: { mode } });
  for (const field of frame.fields) field.display = getDisplayProcessor({ field, theme });
  return frame;
}
