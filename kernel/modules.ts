/**
 * `import * as d2l from 'd2l'` and `import * as tf from '@tensorflow/tfjs'` in a notebook in any folder.
 *
 * The kernel belongs to one installed d2l. Its tfjs is the one d2l registered its backends and patches on, so a
 * notebook must get exactly that copy, whatever folder it is in and whatever that folder's node_modules holds:
 * - at run time, bare requests for d2l and its tfjs packages resolve into d2l's install (from any parent module,
 *   so a folder's own package that depends on tfjs shares d2l's copy too); any other package resolves from the
 *   notebook's folder as in Node, and only if that fails from d2l's own dependencies;
 * - for type checking, tslab's compiler host gets `paths` pointing at the same directories, and d2l's @types;
 * - a module file from a second @tensorflow/tfjs-core package (loaded by path, or bundled elsewhere) is refused
 *   with one error that names both copies, rather than letting it run on an engine without d2l's backends.
 */
import * as fs from 'fs';
import Module = require('module');
import * as path from 'path';
import { packageRoot } from '../src/util/package-root';

/** Packages that must be d2l's own copies in a notebook. */
export const SHARED_PACKAGES = ['d2l', '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers',
  '@tensorflow/tfjs-converter', '@tensorflow/tfjs-data', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-wasm'];

export interface SharedPackages {
  /** Package name → its directory in d2l's install. */
  dirs: Map<string, string>;
  /** @types directories d2l's install provides (Node's types for cells, wherever the notebook is). */
  typeRoots: string[];
  root: string;
}

/** Finds d2l's own copies of the shared packages. */
export function sharedPackages(root: string = packageRoot()): SharedPackages {
  const dirs = new Map<string, string>([['d2l', root]]);
  for (const name of SHARED_PACKAGES.slice(1)) {
    try {
      dirs.set(name, path.dirname(require.resolve(`${name}/package.json`, { paths: [root] })));
    } catch { /* not installed with d2l (an optional backend): left to normal resolution */ }
  }
  const typeRoots: string[] = [];
  for (const from of [root, path.dirname(require.resolve('tslab/package.json', { paths: [root] }))]) {
    try {
      typeRoots.push(path.dirname(path.dirname(require.resolve('@types/node/package.json', { paths: [from] }))));
      break;
    } catch { /* look in the next place */ }
  }
  return { dirs, typeRoots, root };
}

/** 'pkg/sub/path' → ['pkg', 'sub/path']; scoped names keep their scope; relative or absolute requests → undefined. */
export function splitBareRequest(request: string): [string, string] | undefined {
  if (request.startsWith('.') || path.isAbsolute(request) || request.startsWith('node:')) return undefined;
  const parts = request.split('/');
  const n = request.startsWith('@') ? 2 : 1;
  if (parts.length < n || parts.slice(0, n).some((p) => p === '')) return undefined;
  return [parts.slice(0, n).join('/'), parts.slice(n).join('/')];
}

type Resolve = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;

let installed: SharedPackages | undefined;

/** Makes Node's resolution follow the rules in the file comment (once per process). */
export function installModuleResolution(pkgs: SharedPackages): void {
  if (installed) return;
  installed = pkgs;
  const M = Module as unknown as { _resolveFilename: Resolve };
  const original = M._resolveFilename;
  const core = pkgs.dirs.get('@tensorflow/tfjs-core');
  const fallbackParent = { id: pkgs.root, filename: path.join(pkgs.root, 'index.js'), paths: (Module as any)._nodeModulePaths(pkgs.root) };
  M._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    const bare = splitBareRequest(request);
    let file: string;
    const own = bare && pkgs.dirs.get(bare[0]);
    if (own) {
      file = original.call(this, bare![1] ? path.join(own, bare![1]) : own, parent, isMain, options);
    } else {
      try {
        file = original.call(this, request, parent, isMain, options);
      } catch (e) {
        if (!bare || (e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
        file = original.call(this, request, fallbackParent, isMain, options);
      }
    }
    if (core && isInOtherTfjsCore(file, core)) throw secondTfjsError(file, core, parent);
    return file;
  };
}

const CORE_SEGMENT = `${path.sep}@tensorflow${path.sep}tfjs-core${path.sep}`;

function isInOtherTfjsCore(file: string, core: string): boolean {
  return file.includes(CORE_SEGMENT) && !file.startsWith(core + path.sep);
}

function secondTfjsError(file: string, core: string, parent: unknown): Error {
  const other = file.slice(0, file.indexOf(CORE_SEGMENT) + CORE_SEGMENT.length - 1);
  const from = (parent as { filename?: string } | undefined)?.filename;
  const e = new Error(`a second copy of @tensorflow/tfjs-core would be loaded: ${other}${from ? ` (required from ${from})` : ''}. `
    + `d2l registered its backends and training kernels on ${core}; tensors of the other copy would run without them. `
    + "Import tfjs as '@tensorflow/tfjs' (the kernel maps it to d2l's copy), or remove the other copy from that folder's node_modules.");
  (e as NodeJS.ErrnoException).code = 'D2L_SECOND_TFJS';
  return e;
}

/** TypeScript `paths` that send d2l and its tfjs packages to d2l's copies (absolute, so no baseUrl is needed). */
export function typeScriptPaths(pkgs: SharedPackages): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const [name, dir] of pkgs.dirs) {
    paths[name] = [dir];
    paths[`${name}/*`] = [`${dir}/*`];
  }
  return paths;
}

/**
 * `createWatchCompilerHost` with `typeScriptPaths` and d2l's type roots added to the compiler options (tslab
 * hard-codes its options and makes them in that one call).
 */
export function withSharedPackages<F extends (...args: any[]) => unknown>(createWatchCompilerHost: F, pkgs: SharedPackages): F {
  return function (this: unknown, rootFiles: unknown, options: Record<string, unknown>, ...rest: unknown[]) {
    const typeRoots = [...((options?.typeRoots as string[] | undefined) ?? [])];
    for (const r of pkgs.typeRoots) if (!typeRoots.includes(r) && fs.existsSync(r)) typeRoots.push(r);
    const merged = { ...options, paths: { ...(options?.paths as object | undefined), ...typeScriptPaths(pkgs) }, typeRoots };
    return createWatchCompilerHost.call(this, rootFiles, merged, ...rest);
  } as F;
}
