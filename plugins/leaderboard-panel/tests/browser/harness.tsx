// The page the built plugin is loaded into: real React, @grafana/data and @grafana/ui, and a
// tiny AMD `define` that hands them to dist/module.js as Grafana's loader would.
import React from 'react';
import * as ReactDom from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import * as emotion from '@emotion/css';
import * as grafanaData from '@grafana/data';
import * as grafanaUi from '@grafana/ui';
import {
  LoadingState,
  ThemeContext,
  createTheme,
  getDefaultTimeRange,
  type PanelPlugin,
} from '@grafana/data';
import { SELECT_BUSINESS, leaderboardFrame, surgeFrame, withDataLinks } from '../unit/frames';

const provided: Record<string, unknown> = {
  react: React,
  'react-dom': ReactDom,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  '@emotion/css': emotion,
};

declare global {
  interface Window {
    define: (dependencies: string[], factory: (...modules: unknown[]) => unknown) => void;
    loadedPlugin?: PanelPlugin;
    renderLeaderboard: (rows: number, mode: 'light' | 'dark', board?: 'harmony' | 'surges') => void;
  }
}

window.define = (dependencies, factory) => {
  const missing = dependencies.filter((name) => !(name in provided));
  if (missing.length > 0)
    throw new Error(`the plugin asks for modules Grafana would not give: ${missing.join(', ')}`);
  window.loadedPlugin = (
    factory(...dependencies.map((name) => provided[name])) as { plugin: PanelPlugin }
  ).plugin;
};

let root: Root | undefined;
/** The two boards the dashboards draw: low-harmony persons, and surging businesses with a data link per row. */
const boards = {
  harmony: (rows: number, mode: 'light' | 'dark') => ({
    series: [leaderboardFrame(rows, mode)],
    options: {
      labelField: 'name',
      valueField: 'low_count',
      secondaryFields: ['avg_score'],
      seriesField: 'recent_scores',
      limit: 10,
      sortBy: 'none',
      showHeader: true,
    },
  }),
  surges: (rows: number, mode: 'light' | 'dark') => ({
    series: [withDataLinks(surgeFrame(rows, mode), [SELECT_BUSINESS])],
    options: {
      labelField: 'name',
      valueField: 'surge',
      secondaryFields: ['views_60s', 'trailing_avg', 'city'],
      limit: 10,
      sortBy: 'none',
      showHeader: true,
    },
  }),
};

window.renderLeaderboard = (rows, mode, board = 'harmony') => {
  const { series, options } = boards[board](rows, mode);
  const Panel = window.loadedPlugin!.panel!;
  const theme = createTheme({ colors: { mode } });
  root?.unmount();
  root = createRoot(document.getElementById('root')!);
  root.render(
    <ThemeContext.Provider value={theme}>
      <Panel
        {...({
          data: { series, state: LoadingState.Done, timeRange: getDefaultTimeRange() },
          options,
          width: 640,
          height: 420,
        } as unknown as React.ComponentProps<typeof Panel>)}
      />
    </ThemeContext.Provider>,
  );
};
