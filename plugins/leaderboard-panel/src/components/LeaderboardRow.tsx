import type { MouseEventHandler } from 'react';
import { css, cx } from '@emotion/css';
import {
  formattedValueToString,
  type DisplayValue,
  type Field,
  type GrafanaTheme2,
  type LinkModel,
} from '@grafana/data';
import { DataLinksContextMenu, useStyles2 } from '@grafana/ui';
import type { LeaderboardRow as Row } from '../leaderboard';
import { Sparkline } from './Sparkline';

/** One secondary column of a row: its field display, and its colour when it is a number. */
export interface SecondaryCell {
  key: string;
  display: DisplayValue;
  color: string | undefined;
}

interface LeaderboardRowProps {
  row: Row;
  /** The board's grid template, shared by the header and every row. */
  columns: string;
  value: DisplayValue;
  /** Overrides the value's display colour for the bar. */
  barColor?: string;
  secondary: SecondaryCell[];
  withSeries: boolean;
  seriesRange: { min: number; max: number };
  /** The row's data links: one makes the row a link, several open a menu on click. */
  links: LinkModel<Field>[];
}

export function LeaderboardRow({
  row,
  columns,
  value,
  barColor,
  secondary,
  withSeries,
  seriesRange,
  links,
}: LeaderboardRowProps) {
  const styles = useStyles2(getStyles);
  const stripColor = secondary.find((cell) => cell.color !== undefined)?.color ?? styles.fallbackColor;
  const linked = links.length > 0;
  const content = (className?: string, onClick?: MouseEventHandler<HTMLElement>) => (
    <div
      className={cx(styles.row, linked && styles.linked, className)}
      style={{ gridTemplateColumns: columns }}
      data-testid="leaderboard-row"
      role="row"
      onClick={onClick}
    >
      <span className={styles.rank} role="cell">
        {row.rank}
      </span>
      <span className={styles.label} role="cell" title={row.label}>
        {row.label}
      </span>
      <span className={styles.barCell} role="cell" title={formattedValueToString(value)}>
        <span
          className={styles.bar}
          data-testid="leaderboard-bar"
          style={{ width: `${(row.fraction * 100).toFixed(1)}%`, background: barColor ?? value.color }}
        />
        <span className={styles.barLabel}>{formattedValueToString(value)}</span>
      </span>
      {secondary.map((cell, index) => (
        <span
          key={`${index}-${cell.key}`}
          className={cx(styles.secondary, cell.color !== undefined && styles.number)}
          role="cell"
          data-testid="leaderboard-secondary"
          title={formattedValueToString(cell.display)}
          style={{ color: cell.color }}
        >
          {formattedValueToString(cell.display)}
        </span>
      ))}
      {withSeries && (
        <span className={styles.strip} role="cell">
          <Sparkline values={row.series} min={seriesRange.min} max={seriesRange.max} color={stripColor} />
        </span>
      )}
    </div>
  );
  if (!linked) return content();
  // One link: the row is an anchor (Grafana turns a local href into in-app navigation, e.g. a
  // dashboard variable). Several: a click opens Grafana's data-link menu.
  return (
    <DataLinksContextMenu links={() => links} style={LINK_STYLE}>
      {({ openMenu, targetClassName }) => content(targetClassName, openMenu)}
    </DataLinksContextMenu>
  );
}

/** The anchor of a single-link row: the row's own colours, no underline, full width. */
const LINK_STYLE = { width: '100%', color: 'inherit', textDecoration: 'none' };

const getStyles = (theme: GrafanaTheme2) => ({
  fallbackColor: theme.colors.text.primary,
  row: css({
    display: 'grid',
    width: '100%',
    boxSizing: 'border-box',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0.5, 1),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    color: theme.colors.text.primary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  linked: css({
    cursor: 'pointer',
    '&:hover': { background: theme.colors.action.hover },
  }),
  rank: css({ color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium }),
  label: css({ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }),
  barCell: css({
    position: 'relative',
    display: 'flex',
    alignItems: 'center',
    height: theme.spacing(2.5),
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    overflow: 'hidden',
  }),
  bar: css({ position: 'absolute', left: 0, top: 0, bottom: 0, opacity: 0.8 }),
  barLabel: css({ position: 'relative', paddingLeft: theme.spacing(0.5), color: theme.colors.text.primary }),
  secondary: css({ textAlign: 'right', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }),
  number: css({ fontWeight: theme.typography.fontWeightBold }),
  strip: css({ display: 'flex', justifyContent: 'flex-end' }),
});
