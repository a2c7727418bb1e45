/**
 * The test's JupyterLab front end, built once per lockfile: `npm ci` in test/lab/app (its own package.json and
 * package-lock.json, apart from d2l's dependencies), then webpack. The build output is kept in a cache outside the
 * git tree, keyed by a hash of everything that goes into it, and reused while that hash is unchanged.
 *
 * Cache: $D2L_LAB_CACHE, else $XDG_CACHE_HOME/d2l/lab-app, else ~/.cache/d2l/lab-app; one directory per key.
 *
 * app/package.json pins every package exactly, all @jupyterlab/* at JupyterLab 3.6.8. Its npm `overrides` (JSON has
 * no comments, so the reasons are here): `yjs` 13.5.42, as upstream's 3.6 lockfile has it; `@jupyterlab/
 * rendermime-interfaces` 3.6.8 and `@jupyter-widgets/base` 4.1.7, because jupyterlab-plotly's open ranges would
 * otherwise pull JupyterLab 4 packages in beside 3.6.8; `plotly.js` → `plotly.js-dist-min` (the same plotly.js as
 * one prebuilt file, instead of its source package and ~100 dependencies; webpack.config.js aliases the import).
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const APP_DIR = path.join(__dirname, 'app');
/** The files whose content decides the build (the lockfile pins every package). */
const INPUTS = ['package.json', 'package-lock.json', 'index.js', 'webpack.config.js'];

export interface LabBuild {
  /** The built app: bundle.js, schemas/, themes/. */
  dir: string;
  /** JupyterLab's version, from the installed @jupyterlab/application. */
  version: string;
  cached: boolean;
  seconds: number;
}

function cacheRoot(): string {
  if (process.env.D2L_LAB_CACHE) return path.resolve(process.env.D2L_LAB_CACHE);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'd2l', 'lab-app');
}

function buildKey(): string {
  const hash = createHash('sha256');
  for (const file of INPUTS) hash.update(`${file}\0`).update(fs.readFileSync(path.join(APP_DIR, file))).update('\0');
  hash.update(process.version.split('.')[0]); // webpack's output does not depend on more than the major version
  return hash.digest('hex').slice(0, 16);
}

function npm(args: string[]): void {
  execFileSync('npm', args, { cwd: APP_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** The installed tree matches the lockfile (npm writes this hidden lockfile at the end of every install). */
function installedFromLockfile(): boolean {
  const hidden = path.join(APP_DIR, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(hidden)) return false;
  const want = JSON.parse(fs.readFileSync(path.join(APP_DIR, 'package-lock.json'), 'utf8')).packages ?? {};
  const have = JSON.parse(fs.readFileSync(hidden, 'utf8')).packages ?? {};
  const versions = (pkgs: Record<string, { version?: string }>) =>
    JSON.stringify(Object.keys(pkgs).filter((k) => k !== '').sort().map((k) => [k, pkgs[k].version]));
  return versions(want) === versions(have);
}

/** Returns the cached build for the current inputs, building it first when there is none. */
export function ensureLabBuild(log: (line: string) => void = console.log): LabBuild {
  const start = Date.now();
  const dir = path.join(cacheRoot(), buildKey());
  const version = () => JSON.parse(fs.readFileSync(path.join(dir, 'd2l-build.json'), 'utf8')).version as string;
  if (fs.existsSync(path.join(dir, 'd2l-build.json'))) {
    log(`lab app: cached build ${dir}`);
    return { dir, version: version(), cached: true, seconds: (Date.now() - start) / 1000 };
  }
  if (installedFromLockfile()) {
    log('lab app: node_modules already match package-lock.json');
  } else {
    log('lab app: npm ci (test/lab/app/package-lock.json)');
    npm(['ci', '--no-audit', '--no-fund', '--loglevel=error']);
  }
  log('lab app: webpack');
  const out = path.join(APP_DIR, 'build');
  fs.rmSync(out, { recursive: true, force: true });
  try {
    execFileSync(process.execPath, [require.resolve('webpack-cli/bin/cli.js', { paths: [APP_DIR] })],
      { cwd: APP_DIR, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`lab app: webpack failed:\n${String(err.stdout ?? '').slice(-4000)}${String(err.stderr ?? '')}`);
  }
  if (!fs.existsSync(path.join(out, 'bundle.js'))) throw new Error(`lab app: webpack wrote no ${out}/bundle.js`);
  const labVersion = JSON.parse(fs.readFileSync(
    require.resolve('@jupyterlab/application/package.json', { paths: [APP_DIR] }), 'utf8')).version as string;
  fs.writeFileSync(path.join(out, 'd2l-build.json'), JSON.stringify({ version: labVersion, builtAt: new Date().toISOString() }));
  // copy, then rename: a half-written cache entry is never taken for a build
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.cpSync(out, tmp, { recursive: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  const seconds = (Date.now() - start) / 1000;
  log(`lab app: built JupyterLab ${labVersion} in ${seconds.toFixed(0)} s → ${dir}`);
  return { dir, version: labVersion, cached: false, seconds };
}
