/**
 * Where the Fashion-MNIST files come from, in order:
 *   1. `D2L_DATA_DIR` (or `opts.dataDir`): a directory holding the four files, .gz or uncompressed;
 *   2. the user cache, `$XDG_CACHE_HOME/d2l/fashion-mnist` (default `~/.cache/d2l/fashion-mnist`);
 *   3. Debian's `/usr/share/datasets/fashion-mnist` (package `dataset-fashion-mnist`);
 *   4. a download of the four public files into the user cache (SHA-256 checked, written atomically).
 * A directory is used only if all four files are there. When nothing works, one error lists what was tried.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DownloadOptions, FASHION_MNIST_FILES, downloadMissing } from './download';
import { Remedy } from './idx';
import { setting } from '../settings';

export const DEBIAN_DATA_DIR = '/usr/share/datasets/fashion-mnist';
export const DEBIAN_PACKAGE = 'dataset-fashion-mnist';

/** Where to look for the data (all optional; tests set them so they never touch the user's home). */
export interface SourceOptions {
  /** A directory with the four files; takes the place of `D2L_DATA_DIR`. */
  dataDir?: string;
  /** The download cache. Default `$XDG_CACHE_HOME/d2l/fashion-mnist` or `~/.cache/d2l/fashion-mnist`. */
  cacheDir?: string;
  /** System directories to look in. Default `['/usr/share/datasets/fashion-mnist']`. */
  systemDirs?: readonly string[];
  /** `false` never downloads; an object configures mirrors, checksums and fetch. Default: download. */
  download?: boolean | DownloadOptions;
}

export type FileKey = keyof typeof FASHION_MNIST_FILES;

/** The four files found, and what to tell the user if one of them turns out to be corrupt. */
export interface LocatedData {
  dir: string;
  /** 'dataDir' (D2L_DATA_DIR or opts.dataDir), 'cache', 'system' or 'download' (cache, freshly filled). */
  kind: 'dataDir' | 'cache' | 'system' | 'download';
  paths: Record<FileKey, string>;
  remedy: Remedy;
}

/** The default user cache directory for Fashion-MNIST. */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'd2l', 'fashion-mnist');
}

/** Finds the four files in `dir` (each as `name.gz` or uncompressed `name`), or says what is missing. */
async function findFiles(dir: string): Promise<{ paths?: Record<FileKey, string>; problem?: string }> {
  let entries: string[];
  try {
    entries = await fsp.readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? 'directory does not exist' : `cannot read directory (${code})` };
  }
  const present = new Set(entries);
  const paths: Partial<Record<FileKey, string>> = {};
  const missing: string[] = [];
  for (const [key, gzName] of Object.entries(FASHION_MNIST_FILES) as [FileKey, string][]) {
    const plainName = gzName.replace(/\.gz$/, '');
    // Prefer an uncompressed copy: it skips a gunzip of 26 MB.
    const name = present.has(plainName) ? plainName : present.has(gzName) ? gzName : undefined;
    if (name) paths[key] = path.join(dir, name);
    else missing.push(gzName);
  }
  if (missing.length > 0) return { problem: `missing ${missing.join(', ')}` };
  return { paths: paths as Record<FileKey, string> };
}

function dataDirRemedy(dir: string, fromEnv: boolean): string {
  return `Put intact copies of the four Fashion-MNIST files into ${dir} (download them again)` +
    (fromEnv ? ', or unset D2L_DATA_DIR to use the other sources.' : '.');
}

const cacheRemedy: Remedy = (file) =>
  `It is in d2l's download cache: delete it (rm '${file}') and it is downloaded again on the next call.`;

const systemRemedy = `It belongs to the Debian package ${DEBIAN_PACKAGE}: reinstall it with ` +
  `\`sudo apt-get install --reinstall ${DEBIAN_PACKAGE}\`.`;

/** Locates (or downloads) the four Fashion-MNIST files. Throws one Error listing everything tried. */
export async function locateFashionMnist(opts: SourceOptions = {}): Promise<LocatedData> {
  const tried: string[] = [];
  const fromEnv = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? setting('D2L_DATA_DIR') ?? undefined;
  const label = fromEnv ? 'D2L_DATA_DIR' : 'opts.dataDir';
  if (dataDir) {
    const found = await findFiles(dataDir);
    if (found.paths) {
      return { dir: dataDir, kind: 'dataDir', paths: found.paths, remedy: dataDirRemedy(dataDir, fromEnv) };
    }
    tried.push(`${label}=${dataDir}: ${found.problem}`);
    process.stderr.write(`Warning: ${label}=${dataDir} is not usable (${found.problem}); trying other sources.\n`);
  } else {
    tried.push('D2L_DATA_DIR: not set');
  }

  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const cached = await findFiles(cacheDir);
  if (cached.paths) return { dir: cacheDir, kind: 'cache', paths: cached.paths, remedy: cacheRemedy };
  tried.push(`user cache ${cacheDir}: ${cached.problem}`);

  for (const dir of opts.systemDirs ?? [DEBIAN_DATA_DIR]) {
    const found = await findFiles(dir);
    if (found.paths) return { dir, kind: 'system', paths: found.paths, remedy: systemRemedy };
    tried.push(`${dir}: ${found.problem}`);
  }

  if (opts.download === false) {
    tried.push('download: disabled (opts.download = false)');
  } else {
    const dlOpts = typeof opts.download === 'object' ? opts.download : {};
    try {
      await downloadMissing(cacheDir, Object.values(FASHION_MNIST_FILES), dlOpts);
      const found = await findFiles(cacheDir);
      if (found.paths) return { dir: cacheDir, kind: 'download', paths: found.paths, remedy: cacheRemedy };
      tried.push(`download into ${cacheDir}: ${found.problem}`);
    } catch (e) {
      tried.push(`download into ${cacheDir}: ${(e as Error).message}`);
    }
  }

  throw new Error(
    'Fashion-MNIST data not found. Tried:\n' +
    tried.map((t) => `  - ${t}`).join('\n') + '\n' +
    `Fix: install it with \`sudo apt-get install ${DEBIAN_PACKAGE}\` (Debian/Ubuntu), or set D2L_DATA_DIR ` +
    `to a directory holding ${Object.values(FASHION_MNIST_FILES).join(', ')} (gzipped or not), ` +
    'or allow the download (network access to the mirrors).');
}
