/**
 * Jupyter kernelspecs without Python: where Jupyter looks for them (jupyter_core.paths.jupyter_path), how to
 * read one, and how d2l installs its own. One module, so `d2l kernel list`, `d2l run` and `d2l grade` always
 * agree on which kernel a name means.
 *
 * Search order, highest priority first (jupyter_core): every `JUPYTER_PATH` entry, the user data directory
 * (`JUPYTER_DATA_DIR`, else ~/.local/share/jupyter, ~/Library/Jupyter or %APPDATA%\jupyter), an active Python
 * environment's `<prefix>/share/jupyter`, then the system directories. The first kernelspec of a name wins;
 * names compare case-insensitively.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { replaceDirAtomic } from '../util/atomic-write';
import { packageRoot } from '../util/package-root';

/** Our kernelspec's name and display name, and the `metadata.kernelspec` our notebooks carry. */
export const KERNEL_NAME = 'd2l';
export const DISPLAY_NAME = 'TypeScript (d2l)';
export const NOTEBOOK_KERNELSPEC = { display_name: DISPLAY_NAME, language: 'typescript', name: KERNEL_NAME } as const;

export interface KernelSpec {
  name: string;
  /** The kernel's command line; `{connection_file}` is replaced by the connection file path. */
  argv: string[];
  displayName: string;
  language: string;
  env: Record<string, string>;
  /** 'signal' (SIGINT, the default) or 'message' (interrupt_request on the control channel). */
  interruptMode: 'signal' | 'message';
  /** The directory holding kernel.json (also substituted for `{resource_dir}`). */
  resourceDir: string;
}

export type InstallLocation = { kind: 'user' } | { kind: 'prefix'; prefix: string } | { kind: 'sys-prefix' };

/** The per-user Jupyter data directory (respects JUPYTER_DATA_DIR and XDG_DATA_HOME). */
export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUPYTER_DATA_DIR) return path.resolve(env.JUPYTER_DATA_DIR);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Jupyter');
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'jupyter');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
}

/** Jupyter's data directories in jupyter_core's priority order (see the file comment). */
export function jupyterDataDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = (env.JUPYTER_PATH ?? '').split(path.delimiter).filter(Boolean).map((p) => path.resolve(p));
  dirs.push(userDataDir(env));
  // A Python virtualenv/conda prefix, when one is active, holds kernelspecs installed with --sys-prefix.
  const prefix = env.VIRTUAL_ENV || env.CONDA_PREFIX;
  if (prefix) dirs.push(path.join(prefix, 'share', 'jupyter'));
  if (process.platform === 'win32') {
    if (env.PROGRAMDATA) dirs.push(path.join(env.PROGRAMDATA, 'jupyter'));
  } else {
    dirs.push('/usr/local/share/jupyter', '/usr/share/jupyter');
  }
  return [...new Set(dirs)];
}

/** The kernels/ directory of an install location. */
export function kernelsDir(loc: InstallLocation, env: NodeJS.ProcessEnv = process.env): string {
  switch (loc.kind) {
    case 'user':
      return path.join(userDataDir(env), 'kernels');
    case 'prefix':
      return path.join(path.resolve(loc.prefix), 'share', 'jupyter', 'kernels');
    case 'sys-prefix': {
      const prefix = env.VIRTUAL_ENV || env.CONDA_PREFIX;
      if (!prefix) {
        throw new Error('--sys-prefix needs an active Python environment (VIRTUAL_ENV or CONDA_PREFIX is not set); use --user or --prefix <dir> instead');
      }
      return path.join(prefix, 'share', 'jupyter', 'kernels');
    }
  }
}

function readSpec(name: string, dir: string): KernelSpec | undefined {
  const file = path.join(dir, 'kernel.json');
  if (!fs.existsSync(file)) return undefined;
  let raw: any;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`kernelspec '${name}' at ${file} is not valid JSON (${(e as Error).message}); reinstall the kernel.`);
  }
  if (!Array.isArray(raw.argv) || raw.argv.length === 0 || !raw.argv.every((a: unknown) => typeof a === 'string')) {
    throw new Error(`kernelspec '${name}' at ${file} has no "argv" list of strings; reinstall the kernel.`);
  }
  return {
    name,
    argv: raw.argv,
    displayName: String(raw.display_name ?? name),
    language: String(raw.language ?? ''),
    env: raw.env && typeof raw.env === 'object' ? raw.env : {},
    interruptMode: raw.interrupt_mode === 'message' ? 'message' : 'signal',
    resourceDir: dir,
  };
}

/** One installed kernelspec as `jupyter kernelspec list` shows it. */
export interface KernelSpecEntry {
  /** Lower-cased, as jupyter_client names kernels; `dir` keeps the directory's own spelling. */
  name: string;
  dir: string;
  displayName: string;
}

/** Every kernelspec Jupyter would see, the first of each name in search order. */
export function listKernelSpecs(env: NodeJS.ProcessEnv = process.env): KernelSpecEntry[] {
  const found = new Map<string, KernelSpecEntry>();
  for (const base of jupyterDataDirs(env)) {
    const kernels = path.join(base, 'kernels');
    let names: string[];
    try {
      names = fs.readdirSync(kernels).sort();
    } catch {
      continue; // directory absent
    }
    for (const name of names) {
      const file = path.join(kernels, name, 'kernel.json');
      if (found.has(name.toLowerCase()) || !fs.existsSync(file)) continue;
      let displayName = name;
      try {
        displayName = String(JSON.parse(fs.readFileSync(file, 'utf8')).display_name ?? name);
      } catch { /* unreadable spec: still listed under its name */ }
      found.set(name.toLowerCase(), { name: name.toLowerCase(), dir: path.join(kernels, name), displayName });
    }
  }
  return [...found.values()];
}

/** The installed kernelspec Jupyter would start for `name`, or undefined. */
export function findKernelSpec(name: string, env: NodeJS.ProcessEnv = process.env): KernelSpec | undefined {
  const entry = listKernelSpecs(env).find((k) => k.name === name.toLowerCase());
  return entry ? readSpec(entry.name, entry.dir) : undefined;
}

/** The kernel's argv with `{connection_file}` and `{resource_dir}` substituted. */
export function expandArgv(argv: string[], connectionFile: string, resourceDir = ''): string[] {
  return argv.map((a) => a.split('{connection_file}').join(connectionFile).split('{resource_dir}').join(resourceDir));
}

/** kernel.json for our kernel: absolute node and entry point, so it starts the same from any directory. */
export function kernelJson(root: string = packageRoot(), node: string = process.execPath): Record<string, unknown> {
  const entry = path.join(root, 'dist', 'kernel', 'main.js');
  if (!fs.existsSync(entry)) throw new Error(`${entry} does not exist: build the package first (npm run build)`);
  return {
    argv: [node, entry, '{connection_file}'],
    display_name: DISPLAY_NAME,
    language: 'typescript',
    // Clients then send interrupt_request on the control channel, which the kernel's I/O thread serves even
    // while a cell keeps the main thread busy (see kernel/io/thread.ts).
    interrupt_mode: 'message',
    metadata: { debugger: false },
  };
}

/** Writes our kernelspec directory (kernel.json + logos) atomically; returns its path. */
export function installKernelspec(loc: InstallLocation, env: NodeJS.ProcessEnv = process.env): string {
  const root = packageRoot();
  const spec = kernelJson(root);
  const target = path.join(kernelsDir(loc, env), KERNEL_NAME);
  replaceDirAtomic(target, (tmp) => {
    fs.writeFileSync(path.join(tmp, 'kernel.json'), `${JSON.stringify(spec, null, 2)}\n`);
    for (const logo of ['logo-32x32.png', 'logo-64x64.png']) {
      const src = path.join(root, 'kernel', logo);
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(tmp, logo));
    }
  });
  return target;
}

/** Removes our kernelspec from a location; returns the removed path or null if it was not there. */
export function uninstallKernelspec(loc: InstallLocation, env: NodeJS.ProcessEnv = process.env): string | null {
  const target = path.join(kernelsDir(loc, env), KERNEL_NAME);
  if (!fs.existsSync(path.join(target, 'kernel.json'))) return null;
  fs.rmSync(target, { recursive: true, force: true });
  return target;
}
