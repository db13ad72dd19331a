// Builds dist/ as Grafana loads panel plugins: module.js is an AMD module whose React and
// Grafana packages come from Grafana itself (its SystemJS loader), never from the bundle.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');

/**
 * What Grafana's plugin loader shares with plugins, as create-plugin's bundler config
 * externalises it; angular, which that list keeps for old Grafana versions, is gone from
 * Grafana's loader. The JSX runtime is among them: a bundled copy would be tied to the React
 * it was built with, not the one Grafana runs.
 */
const EXTERNALS = [
  'lodash',
  'jquery',
  'moment',
  'slate',
  'emotion',
  '@emotion/react',
  '@emotion/css',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-dom',
  'react-redux',
  'redux',
  'rxjs',
  'i18next',
  'react-router',
  'd3',
];
/** Grafana's own packages, each with its subpaths (such as @grafana/ui/unstable). */
const GRAFANA_PACKAGES = /^@grafana\/(data|ui|runtime)(\/.*)?$/;

const isExternal = (name: string) => EXTERNALS.includes(name) || GRAFANA_PACKAGES.test(name);

const externalPackages: Plugin = {
  name: 'grafana-externals',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^[@a-z]/ }, ({ path: name }) =>
      isExternal(name) ? { path: name, external: true } : undefined,
    );
  },
};

const result = await build({
  entryPoints: [path.join(root, 'src/module.ts')],
  bundle: true,
  write: false,
  format: 'cjs',
  platform: 'browser',
  target: 'es2020',
  jsx: 'automatic',
  plugins: [externalPackages],
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
});

// The AMD dependencies are the externals the bundle really imports, in a stable order.
const imported = new Set(
  Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.filter((entry) => entry.external).map((entry) => entry.path),
  ),
);
const dependencies = [...imported].sort();

// The CommonJS bundle inside an AMD define(): Grafana hands in the externals by name.
const parameters = dependencies.map((_, index) => `__dependency${index}`);
const amd = [
  `define(${JSON.stringify(dependencies)}, function (${parameters.join(', ')}) {`,
  `  var __dependencies = { ${dependencies.map((name, index) => `${JSON.stringify(name)}: ${parameters[index]}`).join(', ')} };`,
  '  var require = function (name) { if (name in __dependencies) return __dependencies[name]; throw new Error("streaming-leaderboard-panel: unknown dependency " + name); };',
  '  var module = { exports: {} }; var exports = module.exports;',
  result.outputFiles[0]!.text,
  '  return module.exports;',
  '});',
  '',
].join('\n');

fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(path.join(dist, 'img'), { recursive: true });
fs.writeFileSync(path.join(dist, 'module.js'), amd);
fs.copyFileSync(path.join(root, 'src/plugin.json'), path.join(dist, 'plugin.json'));
fs.copyFileSync(path.join(root, 'README.md'), path.join(dist, 'README.md'));
fs.copyFileSync(path.join(root, 'src/img/logo.svg'), path.join(dist, 'img/logo.svg'));
console.log(
  `streaming-leaderboard-panel: wrote ${path.relative(process.cwd(), dist)} (module.js ${amd.length} bytes)`,
);
