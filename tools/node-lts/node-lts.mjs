// The Node.js LTS line every npm script of the project runs on.
//
//   node tools/node-lts/node-lts.mjs install   (package.json's postinstall)
//   node tools/node-lts/node-lts.mjs check     (first step of npm test)
//
// `install`: when the Node running npm is of another line, the LTS pinned in
// tools/node-lts/package.json is installed from the npm registry (the `node` package ships the
// official binary) and linked as node_modules/.bin/node. npm puts node_modules/.bin first on the
// PATH of every script, so `npm start`, `npm test` and every tool they call run on it. A machine
// already on that line installs nothing.
//
// Plain JavaScript that any Node from 18 on can run: it is what runs before the LTS is there.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '../..');
const pinned = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8')).dependencies.node;
const requiredMajor = Number(pinned.split('.')[0]);
const binLink = path.join(projectRoot, 'node_modules', '.bin', 'node');
const installedBinary = path.join(here, 'node_modules', 'node', 'bin', 'node');

const majorOf = (version) => Number(version.replace(/^v/, '').split('.')[0]);
const fail = (message) => {
  process.stderr.write(`node-lts: ${message}\n`);
  process.exit(1);
};

function install() {
  // The Node that runs npm is the machine's: `node` in this script's command may already be the
  // link this function made on an earlier install.
  const machineNode = process.env.npm_node_execpath ?? process.execPath;
  const machineVersion = versionOf(machineNode) ?? process.version;
  if (majorOf(machineVersion) === requiredMajor) {
    // A link left from when this machine ran another line would shadow the Node it has now.
    if (fs.lstatSync(binLink, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(binLink);
    return;
  }
  if (versionOf(installedBinary) !== `v${pinned}`) installPinned();
  fs.mkdirSync(path.dirname(binLink), { recursive: true });
  fs.rmSync(binLink, { force: true });
  fs.symlinkSync(path.relative(path.dirname(binLink), installedBinary), binLink);
  const linked = versionOf(binLink);
  if (linked !== `v${pinned}`) fail(`node_modules/.bin/node answers '${linked ?? ''}', not v${pinned}`);
  process.stdout.write(
    `node-lts: npm runs on Node ${machineVersion}; npm scripts run on Node ${linked} (node_modules/.bin/node)\n`,
  );
}

function versionOf(binary) {
  if (!fs.existsSync(binary)) return undefined;
  return spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout?.trim();
}

function installPinned() {
  process.stdout.write(
    `node-lts: installing Node ${pinned} (the project's LTS) from the npm registry into tools/node-lts\n`,
  );
  // The npm that runs this install, on the Node that runs it: the one the user chose.
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  const result = spawnSync(
    npm[0],
    [...npm[1], 'ci', '--prefix', here, '--no-audit', '--no-fund', '--loglevel=error'],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) {
    fail(`installing Node ${pinned} from the npm registry failed (npm ci --prefix tools/node-lts)`);
  }
}

function check() {
  if (majorOf(process.version) !== requiredMajor) {
    fail(
      `this runs on Node ${process.version}, not the project's Node ${requiredMajor}: run it through npm (npm test, npm start), or run npm ci again to link Node ${pinned}`,
    );
  }
  process.stdout.write(`Node ${process.version} runs this (${process.execPath})\n`);
}

const command = process.argv[2];
if (command === 'install') install();
else if (command === 'check') check();
else fail(`expected 'install' or 'check', got '${command ?? ''}'`);
