import { useMemo } from 'react';
import { css } from '@emotion/css';
import { getDisplayProcessor, type Field, type GrafanaTheme2, type PanelProps } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { buildRows, pickFields } from '../leaderboard';
import type { LeaderboardOptions } from '../types';
import { LeaderboardRow } from './LeaderboardRow';

/** Field display as Grafana sets it up; a processor of our own only when the field has none. */
function displayOf(field: Field, theme: GrafanaTheme2) {
  return field.display ?? getDisplayProcessor({ field, theme });
}

export function LeaderboardPanel({ data, options, width, height }: PanelProps<LeaderboardOptions>) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const frame = data.series[0];
  const fields = useMemo(() => (frame ? pickFields(frame, options) : undefined), [frame, options]);
  const rows = useMemo(
    () => (frame && fields ? buildRows(frame, fields, options) : []),
    [frame, fields, options],
  );

  if (!frame || !fields || rows.length === 0) {
    return (
      <div className={styles.empty} style={{ width, height }} data-testid="leaderboard-empty">
        No data
      </div>
    );
  }

  const displayValue = displayOf(fields.value, theme);
  const displayScore = fields.score ? displayOf(fields.score, theme) : undefined;
  // Bars take the value field's colour (thresholds, colour scheme) when it has one, else the theme's.
  const { thresholds, color } = fields.value.config;
  const barColor = thresholds || color ? undefined : theme.colors.primary.main;
  const seriesRange = {
    min: fields.score?.config.min ?? 0,
    max: fields.score?.config.max ?? Math.max(10, ...rows.flatMap((row) => row.series)),
  };
  return (
    <div className={styles.board} style={{ width, height }} role="table" aria-label="leaderboard">
      {rows.map((row) => (
        <LeaderboardRow
          key={`${row.rank}-${row.name}`}
          row={row}
          value={displayValue(row.value)}
          barColor={barColor}
          score={displayScore && row.score !== undefined ? displayScore(row.score) : undefined}
          seriesRange={seriesRange}
        />
      ))}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  board: css({
    overflowY: 'auto',
    background: theme.colors.background.primary,
    color: theme.colors.text.primary,
  }),
  empty: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.h5.fontSize,
  }),
});
