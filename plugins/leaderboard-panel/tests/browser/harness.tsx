// The page the built plugin is loaded into, as Grafana loads it: the host bundles React,
// @grafana/data and @grafana/ui, and SystemJS with its AMD extra loads dist/module.js, handing
// it those modules through an import map that names each one by a `package:` URL.
import 'systemjs/dist/system.js';
import 'systemjs/dist/extras/amd.js';
import * as React from 'react';
import * as jsxRuntime from 'react/jsx-runtime';
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

/** What this host shares with plugins; a plugin asking for anything else fails to load. */
const shared: Record<string, System.Module> = {
  react: React,
  'react/jsx-runtime': jsxRuntime,
  'react-dom': ReactDom,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  '@emotion/css': emotion,
};
System.addImportMap({
  imports: Object.fromEntries(
    Object.entries(shared).map(([name, module]) => {
      System.set(`package:${name}`, module);
      return [name, `package:${name}`];
    }),
  ),
});

declare global {
  interface Window {
    loadPlugin: (url: string) => Promise<{ reactVersion: string }>;
    loadedPlugin?: PanelPlugin;
    renderLeaderboard: (rows: number, mode: 'light' | 'dark', board?: 'harmony' | 'surges') => void;
  }
}

/** Loads module.js through SystemJS; tells the version of the React the plugin was handed. */
window.loadPlugin = async (url) => {
  window.loadedPlugin = ((await System.import(url)) as { plugin: PanelPlugin }).plugin;
  return { reactVersion: (System.get('package:react') as typeof React).version };
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
