import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import {
  LoadingState,
  ThresholdsMode,
  ThemeContext,
  createTheme,
  getDefaultTimeRange,
  toDataFrame,
  type DataFrame,
  type PanelProps,
} from '@grafana/data';
import { LeaderboardPanel } from '../../src/components/LeaderboardPanel';
import { defaultOptions, type LeaderboardOptions } from '../../src/types';
import { SELECT_BUSINESS, leaderboardFrame, surgeFrame, withDataLinks } from './frames';

afterEach(cleanup);

const leaderboardOptions: LeaderboardOptions = {
  ...defaultOptions,
  labelField: 'name',
  valueField: 'low_count',
  secondaryFields: ['avg_score'],
  seriesField: 'recent_scores',
};

const surgeOptions: LeaderboardOptions = {
  ...defaultOptions,
  labelField: 'name',
  valueField: 'surge',
  secondaryFields: ['views_60s', 'trailing_avg', 'city'],
};

const cssColor = (color: string) => {
  const probe = document.createElement('span');
  probe.style.color = color;
  return probe.style.color;
};

function renderPanel(
  series: DataFrame[],
  options: LeaderboardOptions = leaderboardOptions,
  mode: 'light' | 'dark' = 'dark',
) {
  const props = {
    data: { series, state: LoadingState.Done, timeRange: getDefaultTimeRange() },
    options,
    width: 600,
    height: 400,
  } as unknown as PanelProps<LeaderboardOptions>;
  return render(
    <ThemeContext.Provider value={createTheme({ colors: { mode } })}>
      <LeaderboardPanel {...props} />
    </ThemeContext.Provider>,
  );
}

describe('LeaderboardPanel', () => {
  test('no frames, or a frame without rows: a clear no-data state', () => {
    renderPanel([]);
    expect(screen.getByTestId('leaderboard-empty').textContent).toBe('No data');
    cleanup();
    renderPanel([leaderboardFrame(0)]);
    expect(screen.getByTestId('leaderboard-empty').textContent).toBe('No data');
    expect(screen.queryAllByTestId('leaderboard-row')).toHaveLength(0);
  });

  test('ranks the rows in data order, at most `limit` of them, with names and values', () => {
    renderPanel([leaderboardFrame(25)]);
    const rows = screen.getAllByTestId('leaderboard-row');
    expect(rows).toHaveLength(10);
    expect(within(rows[0]!).getAllByRole('cell')[0]!.textContent).toBe('1');
    expect(within(rows[0]!).getAllByRole('cell')[1]!.textContent).toBe('Person 1');
    expect(within(rows[9]!).getAllByRole('cell')[1]!.textContent).toBe('Person 10');
    expect(within(rows[0]!).getAllByRole('cell')[2]!.textContent).toBe('25');
  });

  test('bars are proportional to the value, the largest shown at full width', () => {
    renderPanel([leaderboardFrame(4)]);
    const widths = screen.getAllByTestId('leaderboard-bar').map((bar) => (bar as HTMLElement).style.width);
    expect(widths).toEqual(['100%', '75%', '50%', '25%']);
  });

  test('bars: the theme colour by default, the value thresholds when the field has them', () => {
    renderPanel([leaderboardFrame(2)], leaderboardOptions, 'light');
    const primary = cssColor(createTheme({ colors: { mode: 'light' } }).colors.primary.main);
    const bars = () => screen.getAllByTestId('leaderboard-bar') as HTMLElement[];
    expect(bars().map((bar) => bar.style.background)).toEqual([primary, primary]);
    cleanup();
    const frame = leaderboardFrame(2);
    frame.fields[2]!.config.thresholds = {
      mode: ThresholdsMode.Absolute,
      steps: [
        { color: 'blue', value: -Infinity },
        { color: 'purple', value: 2 },
      ],
    };
    frame.fields[2]!.display = undefined;
    renderPanel([frame]);
    const theme = createTheme();
    expect(bars().map((bar) => bar.style.background)).toEqual(
      ['purple', 'blue'].map((name) => cssColor(theme.visualization.getColorByName(name))),
    );
  });

  test('secondary columns go through the field display: decimals and threshold colours', () => {
    renderPanel([leaderboardFrame(3)]);
    const scores = screen.getAllByTestId('leaderboard-secondary') as HTMLElement[];
    expect(scores.map((score) => score.textContent)).toEqual(['1.2', '3.5', '7.3']);
    const theme = createTheme();
    expect(scores.map((score) => score.style.color)).toEqual(
      ['red', 'orange', 'green'].map((color) => {
        const probe = document.createElement('span');
        probe.style.color = theme.visualization.getColorByName(color);
        return probe.style.color;
      }),
    );
  });

  test('a strip of recent values only when a series field is given', () => {
    renderPanel([leaderboardFrame(3)]);
    expect(screen.getAllByTestId('sparkline')).toHaveLength(3);
    cleanup();
    renderPanel([leaderboardFrame(3, 'dark', false)], { ...leaderboardOptions, seriesField: undefined });
    expect(screen.queryAllByTestId('sparkline')).toHaveLength(0);
    expect(within(screen.getAllByTestId('leaderboard-row')[0]!).getAllByRole('cell')).toHaveLength(4);
  });

  test('without field options: the first text field labels, the number fields give value and secondary', () => {
    const frame = toDataFrame({
      fields: [
        { name: 'who', values: ['b', 'a'] },
        { name: 'count', values: [1, 4] },
        { name: 'mean', values: [9, 0.5] },
      ],
    });
    renderPanel([frame], { ...defaultOptions, sortBy: 'value-desc' });
    const rows = screen.getAllByTestId('leaderboard-row');
    expect(rows.map((row) => within(row).getAllByRole('cell')[1]!.textContent)).toEqual(['a', 'b']);
    expect(screen.getAllByTestId('leaderboard-secondary').map((score) => score.textContent)).toEqual([
      '0.500',
      '9',
    ]);
  });

  test('a header names the columns by their display names; it can be turned off', () => {
    renderPanel([leaderboardFrame(2)]);
    const header = screen.getByTestId('leaderboard-header');
    expect(
      within(header)
        .getAllByRole('columnheader')
        .map((cell) => cell.textContent),
    ).toEqual(['#', 'name', 'low_count', 'avg_score', 'recent_scores']);
    cleanup();
    renderPanel([leaderboardFrame(2)], { ...leaderboardOptions, showHeader: false });
    expect(screen.queryByTestId('leaderboard-header')).toBeNull();
  });

  test('another stream: several secondary columns, numbers coloured and text plain', () => {
    renderPanel([surgeFrame(3)], surgeOptions);
    const rows = screen.getAllByTestId('leaderboard-row');
    expect(
      within(rows[0]!)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    ).toEqual(['1', 'Café & Bar 1', '12.0 ×', '120', '10.0', 'Lyon']);
    const bars = screen.getAllByTestId('leaderboard-bar') as HTMLElement[];
    const theme = createTheme();
    expect(bars[0]!.style.background).toBe(cssColor(theme.visualization.getColorByName('red')));
    const city = within(rows[0]!).getAllByTestId('leaderboard-secondary')[2] as HTMLElement;
    expect(city.style.color).toBe('');
  });

  test('a data link makes each row a link to its own URL, e.g. setting a dashboard variable', () => {
    renderPanel([withDataLinks(surgeFrame(3), [SELECT_BUSINESS])], surgeOptions);
    const rows = screen.getAllByTestId('leaderboard-row');
    expect(rows.map((row) => row.closest('a')?.getAttribute('href'))).toEqual([
      '/d/traffic?var-business=b-00001',
      '/d/traffic?var-business=b-00002',
      '/d/traffic?var-business=b-00003',
    ]);
    expect(rows[0]!.closest('a')!.getAttribute('title')).toBe('Show Café & Bar 1');
  });

  test('several data links: a click on a row opens the menu of its links', () => {
    const frame = withDataLinks(surgeFrame(2), [
      SELECT_BUSINESS,
      { title: 'Stored views', url: '/d/stored?var-id=${__data.fields.business_id}' },
    ]);
    renderPanel([frame], surgeOptions);
    const rows = screen.getAllByTestId('leaderboard-row');
    expect(rows[1]!.closest('a')).toBeNull();
    fireEvent.click(rows[1]!);
    const items = [...document.querySelectorAll('[data-role="menuitem"]')];
    expect(items.map((item) => item.textContent)).toEqual(['Show Café & Bar 2', 'Stored views']);
    expect(items.map((item) => item.getAttribute('href'))).toEqual([
      '/d/traffic?var-business=b-00002',
      '/d/stored?var-id=b-00002',
    ]);
  });

  test('no data links: rows are not links', () => {
    renderPanel([surgeFrame(2)], surgeOptions);
    expect(screen.getAllByTestId('leaderboard-row').map((row) => row.closest('a'))).toEqual([null, null]);
  });
});
