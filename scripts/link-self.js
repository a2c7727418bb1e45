// Makes `import * as d2l from 'd2l'` resolve inside this checkout (notebooks/, scripts, tests) the way it
// resolves in a student's project after `npm install d2l`: node_modules/d2l points back at the package root.
// tslab resolves modules Node10-style (main/types, no `exports`), so a real node_modules entry is required.
'use strict';
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
const link = path.join(root, 'node_modules', 'd2l');
if (!fs.existsSync(path.join(root, 'node_modules'))) process.exit(0);
try {
  const st = fs.lstatSync(link);
  if (st.isSymbolicLink() && path.resolve(path.dirname(link), fs.readlinkSync(link)) === root) process.exit(0);
  fs.rmSync(link, { recursive: true, force: true });
} catch { /* absent */ }
fs.symlinkSync('..', link, 'dir');
