/** How the leaderboard orders its rows. */
export type SortBy = 'none' | 'value-desc';

/** Panel options; empty field names mean "pick a sensible field from the data". */
export interface LeaderboardOptions {
  /** The field naming each row (a person). */
  nameField?: string;
  /** The field drawn as a bar (e.g. the count of low scores). */
  valueField?: string;
  /** The field shown as a number coloured by its thresholds (e.g. the average score). */
  scoreField?: string;
  /** Optional field with each row's recent values: "1.5,7,3" or a JSON array of numbers. */
  seriesField?: string;
  /** Rows shown at most. */
  limit: number;
  /** 'none' keeps the order of the data (the data source already ranks); 'value-desc' sorts by value. */
  sortBy: SortBy;
}

export const defaultOptions: LeaderboardOptions = {
  limit: 10,
  sortBy: 'none',
};
