/**
 * The d2l kernelspec: where Jupyter looks for kernels and how we write ours, without Python.
 * Jupyter's data directories (jupyter_core.paths): JUPYTER_DATA_DIR or the user data dir, then JUPYTER_PATH
 * entries, then {sys.prefix}/share/jupyter, then the system dirs /usr/local/share/jupyter and /usr/share/jupyter.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const KERNEL_NAME = 'd2l';
export const DISPLAY_NAME = 'TypeScript (d2l)';

export type InstallLocation = { kind: 'user' } | { kind: 'prefix'; prefix: string } | { kind: 'sys-prefix' };

/** The per-user Jupyter data directory (respects JUPYTER_DATA_DIR and XDG_DATA_HOME). */
export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUPYTER_DATA_DIR) return path.resolve(env.JUPYTER_DATA_DIR);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Jupyter');
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'jupyter');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
}

/** The kernels/ directory for an install location. */
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

/** Every directory Jupyter searches for kernelspecs, in its priority order. */
export function searchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = [path.join(userDataDir(env), 'kernels')];
  for (const p of (env.JUPYTER_PATH ?? '').split(path.delimiter).filter(Boolean)) dirs.push(path.join(p, 'kernels'));
  for (const prefix of [env.VIRTUAL_ENV, env.CONDA_PREFIX]) if (prefix) dirs.push(path.join(prefix, 'share', 'jupyter', 'kernels'));
  if (process.platform !== 'win32') dirs.push('/usr/local/share/jupyter/kernels', '/usr/share/jupyter/kernels');
  return [...new Set(dirs)];
}

/** The package root (the directory with d2l's package.json) above `from`. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file) && JSON.parse(fs.readFileSync(file, 'utf8')).name === 'd2l') return dir;
  }
  throw new Error(`cannot find the d2l package root above ${from}`);
}

/** kernel.json content: absolute node and entry point, so the kernel starts the same from any directory. */
export function kernelJson(root: string = packageRoot(), node: string = process.execPath): Record<string, unknown> {
  const entry = path.join(root, 'dist', 'kernel', 'main.js');
  if (!fs.existsSync(entry)) throw new Error(`${entry} does not exist: build the package first (npm run build)`);
  return {
    argv: [node, entry, '{connection_file}'],
    display_name: DISPLAY_NAME,
    language: 'typescript',
    // Clients then send interrupt_request, which the control worker turns into a SIGINT it repeats until the cell
    // stops (a bare signal that lands while a cell is still compiling would be lost).
    interrupt_mode: 'message',
    metadata: { debugger: false },
  };
}

/** Writes the kernelspec directory (kernel.json + logos) atomically; returns its path. */
export function installKernelspec(loc: InstallLocation, env: NodeJS.ProcessEnv = process.env): string {
  const root = packageRoot();
  const spec = kernelJson(root);
  const parent = kernelsDir(loc, env);
  fs.mkdirSync(parent, { recursive: true });
  const target = path.join(parent, KERNEL_NAME);
  const tmp = fs.mkdtempSync(path.join(parent, `.${KERNEL_NAME}-`));
  try {
    fs.writeFileSync(path.join(tmp, 'kernel.json'), `${JSON.stringify(spec, null, 2)}\n`);
    for (const logo of ['logo-32x32.png', 'logo-64x64.png']) {
      const src = path.join(root, 'kernel', logo);
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(tmp, logo));
    }
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return target;
}

/** Removes the d2l kernelspec from a location; returns the removed path or null if it was not there. */
export function uninstallKernelspec(loc: InstallLocation, env: NodeJS.ProcessEnv = process.env): string | null {
  const target = path.join(kernelsDir(loc, env), KERNEL_NAME);
  if (!fs.existsSync(path.join(target, 'kernel.json'))) return null;
  fs.rmSync(target, { recursive: true, force: true });
  return target;
}

/** Installed kernelspecs Jupyter would see (first match per name wins, as in jupyter_client). */
export function listKernelspecs(env: NodeJS.ProcessEnv = process.env): Array<{ name: string; dir: string; displayName: string }> {
  const found = new Map<string, { name: string; dir: string; displayName: string }>();
  for (const dir of searchDirs(env)) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const file = path.join(dir, name, 'kernel.json');
      if (found.has(name.toLowerCase()) || !fs.existsSync(file)) continue;
      let displayName = name;
      try {
        displayName = JSON.parse(fs.readFileSync(file, 'utf8')).display_name ?? name;
      } catch { /* unreadable spec: still listed */ }
      found.set(name.toLowerCase(), { name, dir: path.join(dir, name), displayName });
    }
  }
  return [...found.values()];
}
