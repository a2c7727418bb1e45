#!/usr/bin/env node
// The `d2l` command. The TypeScript sources are compiled to dist/ by `npm ci` (the `prepare` script).
'use strict';
require('../dist/src/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`d2l: ${err && err.message ? err.message : err}`); process.exitCode = 1; });
