import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, expect, test } from 'vitest';

const pluginRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const screenshots = path.join(pluginRoot, 'test-output/screenshots');
const pluginPackage = JSON.parse(fs.readFileSync(path.join(pluginRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const pageDir = path.join(pluginRoot, 'test-output/page');

/**
 * Grafana's packages as CommonJS: their ESM builds have re-exports a bundler cannot follow.
 * One copy of each, so the harness and the plugin share one ThemeContext.
 */
const grafanaAsCommonJs: Plugin = {
  name: 'grafana-as-commonjs',
  setup(pluginBuild) {
    const requireFrom = createRequire(path.join(pluginRoot, 'package.json'));
    pluginBuild.onResolve({ filter: /^@grafana\/(data|ui|schema|e2e-selectors)$/ }, ({ path: name }) => ({
      path: requireFrom.resolve(name),
    }));
  },
};
let browser: Browser | undefined;
let loaded: Promise<Page> | undefined;

/**
 * Builds the page, starts Chromium and loads the plugin, once. Each test awaits it, so a
 * missing Chromium fails every test with the reason instead of skipping them.
 */
const openPage = () => (loaded ??= loadPage());

async function loadPage(): Promise<Page> {
  const moduleJs = path.join(pluginRoot, 'dist/module.js');
  if (!fs.existsSync(moduleJs)) throw new Error('dist/module.js is missing: run npm run build first');
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: install chromium (apt-get install chromium)`);
  fs.mkdirSync(screenshots, { recursive: true });
  fs.mkdirSync(pageDir, { recursive: true });
  await build({
    entryPoints: [path.join(pluginRoot, 'tests/browser/harness.tsx')],
    outfile: path.join(pageDir, 'harness.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    // The host's own modules never see SystemJS's global define, as in Grafana's webpack build:
    // UMD builds such as lodash's would hand their exports to it instead of to the bundle.
    define: { 'process.env.NODE_ENV': '"production"', global: 'window', define: 'undefined' },
    loader: { '.css': 'empty', '.woff': 'empty', '.woff2': 'empty', '.svg': 'empty', '.png': 'empty' },
    plugins: [grafanaAsCommonJs],
    logLevel: 'error',
  });
  fs.copyFileSync(moduleJs, path.join(pageDir, 'module.js'));
  fs.writeFileSync(
    path.join(pageDir, 'index.html'),
    '<!doctype html><html><body style="margin:0"><div id="root"></div>' +
      '<script src="harness.js"></script></body></html>',
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 680, height: 460 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`file://${path.join(pageDir, 'index.html')}`);
  expect(errors).toEqual([]);
  const { reactVersion } = await page.evaluate(() => window.loadPlugin('./module.js'));
  expect(errors).toEqual([]);
  expect(await page.evaluate(() => window.loadedPlugin !== undefined)).toBe(true);
  // The plugin runs on the host's React, the one Grafana ships and the package pins.
  expect(reactVersion).toBe(pluginPackage.dependencies.react);
  return page;
}

afterAll(async () => {
  await browser?.close();
});

test('the bundle takes React, its JSX runtime and Grafana packages from the host and carries none of them', () => {
  const bundle = fs.readFileSync(path.join(pluginRoot, 'dist/module.js'), 'utf8');
  const amdDependencies = /^define\((\[[^\]]*\])/.exec(bundle)?.[1];
  expect(amdDependencies).toBeDefined();
  expect(JSON.parse(amdDependencies!)).toEqual([
    '@emotion/css',
    '@grafana/data',
    '@grafana/ui',
    'react',
    'react/jsx-runtime',
  ]);
  // Element type names and internals appear only in React's own code, never in a plugin's.
  for (const reactOwnCode of ['react.transitional.element', 'react.element', '_DO_NOT_USE_OR_']) {
    expect(bundle).not.toContain(reactOwnCode);
  }
  // The APIs React 19 removed (the ones @grafana/react-detect looks for): minifying keeps these names.
  for (const removed of [
    'findDOMNode',
    'unmountComponentAtNode',
    'createFactory',
    'defaultProps',
    'propTypes',
    'contextTypes',
    'getChildContext',
  ]) {
    expect(bundle, removed).not.toContain(removed);
  }
});

const backgrounds: Record<string, string> = {};

for (const mode of ['light', 'dark'] as const) {
  for (const rows of [0, 1, 10, 1000]) {
    test(`${rows} rows, ${mode} theme: the built bundle renders them in Chromium`, async () => {
      const page = await openPage();
      await page.evaluate(([count, theme]) => window.renderLeaderboard(count, theme), [rows, mode] as const);
      if (rows === 0) {
        await page.waitForSelector('[data-testid="leaderboard-empty"]');
        expect(await page.textContent('[data-testid="leaderboard-empty"]')).toBe('No data');
      } else {
        await page.waitForSelector('[data-testid="leaderboard-row"]');
        const names = await page.$$eval(
          '[data-testid="leaderboard-row"] [role="cell"]:nth-child(2)',
          (cells) => cells.map((cell) => cell.textContent),
        );
        expect(names).toEqual(
          Array.from({ length: Math.min(rows, 10) }, (_, index) => `Person ${index + 1}`),
        );
        expect(await page.$$eval('[data-testid="sparkline"]', (strips) => strips.length)).toBe(
          Math.min(rows, 10),
        );
        backgrounds[mode] = await page.$eval(
          '[aria-label="leaderboard"]',
          (board) => getComputedStyle(board).backgroundColor,
        );
      }
      await page.screenshot({ path: path.join(screenshots, `${rows}-${mode}.png`) });
      expect(fs.statSync(path.join(screenshots, `${rows}-${mode}.png`)).size).toBeGreaterThan(1000);
    });
  }
}

test('surging businesses: secondary columns, and each row links to its own dashboard variable', async () => {
  const page = await openPage();
  await page.evaluate(() => window.renderLeaderboard(12, 'dark', 'surges'));
  await page.waitForSelector('[data-testid="leaderboard-row"]');
  const rows = await page.$$eval('[data-testid="leaderboard-row"]', (elements) =>
    elements.map((row) => ({
      cells: [...row.querySelectorAll('[role="cell"]')].map((cell) => cell.textContent),
      href: row.closest('a')?.getAttribute('href'),
    })),
  );
  expect(rows).toHaveLength(10);
  expect(rows[0]).toEqual({
    cells: ['1', 'Café & Bar 1', '12.0 ×', '120', '10.0', 'Lyon'],
    href: '/d/traffic?var-business=b-00001',
  });
  expect(rows[9]!.href).toBe('/d/traffic?var-business=b-00010');
  expect(await page.$$eval('[data-testid="sparkline"]', (strips) => strips.length)).toBe(0);
  await page.screenshot({ path: path.join(screenshots, 'surges-dark.png') });
});

test('light and dark themes give the board different backgrounds', () => {
  expect(backgrounds['light']).toBeDefined();
  expect(backgrounds['dark']).toBeDefined();
  expect(backgrounds['light']).not.toBe(backgrounds['dark']);
});
