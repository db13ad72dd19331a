import { useMemo } from 'react';
import { css } from '@emotion/css';
import {
  FieldType,
  getDisplayProcessor,
  getFieldDisplayName,
  type DataFrame,
  type Field,
  type GrafanaTheme2,
  type PanelProps,
} from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import { buildRows, pickFields, rowLinks, seriesRange } from '../leaderboard';
import type { LeaderboardOptions } from '../types';
import { LeaderboardRow, type SecondaryCell } from './LeaderboardRow';

/** Field display as Grafana sets it up; a processor of our own only when the field has none. */
function displayOf(field: Field, theme: GrafanaTheme2) {
  return field.display ?? getDisplayProcessor({ field, theme });
}

/** rank, label, bar, one column per secondary field, the strip when there is a series field. */
function gridColumns(secondary: number, withSeries: boolean) {
  return [
    '2em',
    'minmax(6em, 1.2fr)',
    'minmax(6em, 2fr)',
    ...Array.from({ length: secondary }, () => '5.5em'),
    ...(withSeries ? ['84px'] : []),
  ].join(' ');
}

const displayName = (field: Field, frame: DataFrame) => getFieldDisplayName(field, frame);

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
  const secondary = fields.secondary.map((field) => ({
    field,
    display: displayOf(field, theme),
    // Only numbers take their display colour; text (a city, a category) stays plain.
    coloured: field.type === FieldType.number,
  }));
  // Bars take the value field's colour (thresholds, colour scheme) when it has one, else the theme's.
  const { thresholds, color } = fields.value.config;
  const barColor = thresholds || color ? undefined : theme.colors.primary.main;
  const range = seriesRange(fields, rows);
  const columns = gridColumns(secondary.length, fields.series !== undefined);
  return (
    <div className={styles.board} style={{ width, height }} role="table" aria-label="leaderboard">
      {options.showHeader !== false && (
        <div
          className={styles.header}
          style={{ gridTemplateColumns: columns }}
          role="row"
          data-testid="leaderboard-header"
        >
          <span role="columnheader">#</span>
          <span role="columnheader">{displayName(fields.label, frame)}</span>
          <span role="columnheader">{displayName(fields.value, frame)}</span>
          {secondary.map(({ field }, index) => (
            <span
              role="columnheader"
              className={styles.numeric}
              key={`${index}-${field.name}`}
              title={displayName(field, frame)}
            >
              {displayName(field, frame)}
            </span>
          ))}
          {fields.series && (
            <span role="columnheader" className={styles.numeric}>
              {displayName(fields.series, frame)}
            </span>
          )}
        </div>
      )}
      {rows.map((row) => {
        const cells: SecondaryCell[] = secondary.map(({ field, display, coloured }) => {
          const shown = display(field.values[row.index]);
          return { key: field.name, display: shown, color: coloured ? shown.color : undefined };
        });
        return (
          <LeaderboardRow
            key={`${row.rank}-${row.label}`}
            row={row}
            columns={columns}
            value={displayValue(row.value)}
            barColor={barColor}
            secondary={cells}
            withSeries={fields.series !== undefined}
            seriesRange={range}
            links={rowLinks(frame, fields, row.index)}
          />
        );
      })}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  board: css({
    overflowY: 'auto',
    background: theme.colors.background.primary,
    color: theme.colors.text.primary,
  }),
  header: css({
    display: 'grid',
    boxSizing: 'border-box',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0.5, 1),
    borderBottom: `1px solid ${theme.colors.border.medium}`,
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
    whiteSpace: 'nowrap',
    '& > span': { overflow: 'hidden', textOverflow: 'ellipsis' },
  }),
  numeric: css({ textAlign: 'right' }),
  empty: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.h5.fontSize,
  }),
});
