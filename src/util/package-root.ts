/**
 * Where this d2l package lives on disk: the directory holding its package.json. The same answer whether the
 * code runs compiled (`dist/src/...`, `dist/kernel/...`) or from source under ts-node, and whether d2l is a
 * checkout or an installed dependency (`node_modules/d2l`).
 */
import * as fs from 'fs';
import * as path from 'path';

let cached: string | undefined;

/** The d2l package root above this file. Throws if there is none (a broken install). */
export function packageRoot(): string {
  if (cached) return cached;
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) continue;
    try {
      if (JSON.parse(fs.readFileSync(file, 'utf8')).name === 'd2l') return (cached = dir);
    } catch { /* an unreadable package.json of something else: keep looking */ }
  }
  throw new Error(`cannot find the d2l package root above ${__dirname}: reinstall d2l (npm install d2l)`);
}

/** The version in d2l's package.json. */
export function packageVersion(): string {
  return String(JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version);
}
