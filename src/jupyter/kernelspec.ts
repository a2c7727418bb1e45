/**
 * Kernelspec lookup without Python: the same directories `jupyter kernelspec list` searches.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

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

/** Jupyter's data directories, highest priority first (JUPYTER_PATH, user, environment, system). */
export function jupyterDataDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  if (env.JUPYTER_PATH) dirs.push(...env.JUPYTER_PATH.split(path.delimiter).filter(Boolean));
  if (env.JUPYTER_DATA_DIR) dirs.push(env.JUPYTER_DATA_DIR);
  else if (process.platform === 'darwin') dirs.push(path.join(os.homedir(), 'Library', 'Jupyter'));
  else if (process.platform === 'win32') dirs.push(path.join(env.APPDATA ?? os.homedir(), 'jupyter'));
  else dirs.push(path.join(env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'jupyter'));
  // A Python virtualenv/conda prefix, when one is active, holds kernelspecs installed with --sys-prefix.
  const prefix = env.VIRTUAL_ENV ?? env.CONDA_PREFIX;
  if (prefix) dirs.push(path.join(prefix, 'share', 'jupyter'));
  if (process.platform === 'win32') {
    if (env.PROGRAMDATA) dirs.push(path.join(env.PROGRAMDATA, 'jupyter'));
  } else {
    dirs.push('/usr/local/share/jupyter', '/usr/share/jupyter');
  }
  return [...new Set(dirs)];
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

/** Finds an installed kernelspec by name (case-insensitive, like Jupyter), or undefined. */
export function findKernelSpec(name: string, env: NodeJS.ProcessEnv = process.env): KernelSpec | undefined {
  for (const base of jupyterDataDirs(env)) {
    const kernels = path.join(base, 'kernels');
    let entries: string[];
    try {
      entries = fs.readdirSync(kernels);
    } catch {
      continue;
    }
    const match = entries.find((e) => e.toLowerCase() === name.toLowerCase());
    if (match) {
      const spec = readSpec(match, path.join(kernels, match));
      if (spec) return spec;
    }
  }
  return undefined;
}

/** Names of all installed kernelspecs (for error messages). */
export function listKernelSpecs(env: NodeJS.ProcessEnv = process.env): string[] {
  const names = new Set<string>();
  for (const base of jupyterDataDirs(env)) {
    try {
      for (const e of fs.readdirSync(path.join(base, 'kernels'))) {
        if (fs.existsSync(path.join(base, 'kernels', e, 'kernel.json'))) names.add(e.toLowerCase());
      }
    } catch { /* directory absent */ }
  }
  return [...names].sort();
}

/** The kernel's argv with `{connection_file}` and `{resource_dir}` substituted. */
export function expandArgv(argv: string[], connectionFile: string, resourceDir = ''): string[] {
  return argv.map((a) => a.split('{connection_file}').join(connectionFile).split('{resource_dir}').join(resourceDir));
}
