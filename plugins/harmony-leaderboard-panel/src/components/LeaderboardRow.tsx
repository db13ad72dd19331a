import { css } from '@emotion/css';
import { formattedValueToString, type DisplayValue, type GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import type { LeaderboardRow as Row } from '../leaderboard';
import { Sparkline } from './Sparkline';

interface LeaderboardRowProps {
  row: Row;
  value: DisplayValue;
  /** Overrides the value's display colour for the bar. */
  barColor?: string;
  score: DisplayValue | undefined;
  seriesRange: { min: number; max: number };
}

export function LeaderboardRow({ row, value, barColor, score, seriesRange }: LeaderboardRowProps) {
  const styles = useStyles2(getStyles);
  const scoreColor = score?.color ?? styles.fallbackColor;
  return (
    <div className={styles.row} data-testid="leaderboard-row" role="row">
      <span className={styles.rank} role="cell">
        {row.rank}
      </span>
      <span className={styles.name} role="cell" title={row.name}>
        {row.name}
      </span>
      <span className={styles.barCell} role="cell" title={formattedValueToString(value)}>
        <span
          className={styles.bar}
          data-testid="leaderboard-bar"
          style={{ width: `${(row.fraction * 100).toFixed(1)}%`, background: barColor ?? value.color }}
        />
        <span className={styles.barLabel}>{formattedValueToString(value)}</span>
      </span>
      <span
        className={styles.score}
        role="cell"
        data-testid="leaderboard-score"
        style={{ color: scoreColor }}
      >
        {score ? formattedValueToString(score) : ''}
      </span>
      <span className={styles.strip} role="cell">
        <Sparkline values={row.series} min={seriesRange.min} max={seriesRange.max} color={scoreColor} />
      </span>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  fallbackColor: theme.colors.text.primary,
  row: css({
    display: 'grid',
    gridTemplateColumns: '2em minmax(6em, 1.2fr) minmax(6em, 2fr) 4.5em 84px',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0.5, 1),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  rank: css({ color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium }),
  name: css({ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }),
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
  score: css({ textAlign: 'right', fontWeight: theme.typography.fontWeightBold }),
  strip: css({ display: 'flex', justifyContent: 'flex-end' }),
});
