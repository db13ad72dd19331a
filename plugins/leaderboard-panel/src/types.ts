/** How the leaderboard orders its rows. */
export type SortBy = 'none' | 'value-desc';

/**
 * Panel options; empty field names mean "pick a sensible field from the data". Nothing here is
 * about one stream: the data source ranks, the options only say which field is drawn how. Row
 * clicks come from the standard field option "Data links" (Grafana's field config links).
 */
export interface LeaderboardOptions {
  /** The field naming each row (a person, a business). */
  labelField?: string;
  /** The field drawn as a bar (a count, a ratio). */
  valueField?: string;
  /**
   * Columns after the bar, each shown through its field display (unit, decimals, threshold
   * colour for numbers). Unset: the second number field. Empty: none.
   */
  secondaryFields?: string[];
  /** Optional field with each row's recent values: "1.5,7,3" or a JSON array of numbers. */
  seriesField?: string;
  /** Rows shown at most. */
  limit: number;
  /** 'none' keeps the order of the data (the data source already ranks); 'value-desc' sorts by value. */
  sortBy: SortBy;
  /** A header row naming the columns by their field display names. */
  showHeader: boolean;
}

export const defaultOptions: LeaderboardOptions = {
  limit: 10,
  sortBy: 'none',
  showHeader: true,
};
