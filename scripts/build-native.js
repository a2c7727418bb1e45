#!/usr/bin/env node
// Builds the oneDNN-backed native tfjs backend (native/ -> native/build/Release/d2l_native.node) at install time.
// Never fails the install: when oneDNN or a compiler is missing it prints one line, records the reason in
// native/build/REASON.txt (which loadNativeBackend() reports) and exits 0, so d2l falls back to wasm/cpu.
// Env: DNNL_ROOT=<prefix with include/oneapi/dnnl> to use a non-system oneDNN; D2L_SKIP_NATIVE=1 to skip.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const nativeDir = path.join(root, 'native');
const buildDir = path.join(nativeDir, 'build');
const reasonFile = path.join(buildDir, 'REASON.txt');
const logFile = path.join(buildDir, 'build-log.txt');
const addonFile = path.join(buildDir, 'Release', 'd2l_native.node');
const HOW = 'install oneDNN (apt-get install libdnnl-dev, or brew install onednn) and run `npm rebuild d2l`';

function writeAtomic(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function skip(reason) {
  writeAtomic(reasonFile, `${reason}\n`);
  console.log(`d2l: native backend skipped: ${reason} (to enable it: ${HOW})`);
  process.exit(0);
}

function findOnednn() {
  const roots = [process.env.DNNL_ROOT, '/usr', '/usr/local', '/opt/homebrew', '/opt/homebrew/opt/onednn'];
  for (const r of roots) {
    if (r && fs.existsSync(path.join(r, 'include', 'oneapi', 'dnnl', 'dnnl.hpp'))) return r;
  }
  return null;
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    (() => { try { return require.resolve('node-gyp/bin/node-gyp.js'); } catch { return undefined; } })(),
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && fs.existsSync(c)) || null;
}

function main() {
  // Read here rather than through src/settings.ts (d2l's one reader of its variables, whose table documents this
  // one too): this script runs at install time, before dist/ is compiled.
  if (process.env.D2L_SKIP_NATIVE === '1') skip('D2L_SKIP_NATIVE=1 is set');
  if (!fs.existsSync(path.join(nativeDir, 'binding.gyp'))) skip('native/binding.gyp is not part of this install');
  const dnnlRoot = findOnednn();
  if (!dnnlRoot) skip('oneDNN headers (oneapi/dnnl/dnnl.hpp) not found in /usr/include, /usr/local or $DNNL_ROOT');
  try { require.resolve('node-addon-api'); } catch { skip('the node-addon-api package is not installed'); }
  const gyp = findNodeGyp();
  const args = gyp ? [gyp, 'rebuild'] : ['--yes', 'node-gyp', 'rebuild'];
  // Headers that ship with this node (distro packages, nvm, official tarballs) let node-gyp build offline.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  const env = { ...process.env };
  if (dnnlRoot !== '/usr') env.DNNL_ROOT = dnnlRoot;
  console.log(`d2l: building the native (oneDNN) backend against ${dnnlRoot} ...`);
  const r = spawnSync(gyp ? process.execPath : 'npx', args, { cwd: nativeDir, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const log = `${r.stdout || ''}\n${r.stderr || ''}${r.error ? `\n${r.error.message}` : ''}`;
  writeAtomic(logFile, log);
  if (r.status !== 0 || !fs.existsSync(addonFile)) {
    const firstError = log.split('\n').find((l) => /error/i.test(l)) || `node-gyp exited with ${r.status}`;
    skip(`the native addon failed to compile: ${firstError.trim().slice(0, 300)} (full log: ${logFile})`);
  }
  // A build that links but cannot load (e.g. libdnnl.so not on the loader path) is as good as none.
  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addonFile)}).onednnVersion()`], { encoding: 'utf8' });
  if (check.status !== 0) {
    const msg = (check.stderr || '').split('\n').find((l) => /Error/.test(l)) || 'unknown error';
    fs.rmSync(addonFile, { force: true });
    skip(`the native addon was built but does not load: ${msg.trim().slice(0, 300)}`);
  }
  fs.rmSync(reasonFile, { force: true });
  console.log('d2l: native backend built (native/build/Release/d2l_native.node)');
}

main();
