/**
 * Which kernel to start: an explicit command line, an installed kernelspec, or — for `d2l` when no kernelspec is
 * installed (CI, a fresh checkout) — this package's own kernel run directly by the current Node.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DISPLAY_NAME, findKernelSpec, KERNEL_NAME, KernelSpec, listKernelSpecs } from '../jupyter/kernelspec';
import { packageRoot } from '../util/package-root';

/** The kernel could not be found or did not start; the message says why and what to do. */
export class KernelStartError extends Error {
  override name = 'KernelStartError';
}

/** How to start the kernel: an installed kernelspec by name, or a command line containing `{connection_file}`. */
export interface KernelChoice {
  kernelName?: string;
  argv?: string[];
}

/** The kernelspec to launch for `choice` (default: the `d2l` kernel). Throws KernelStartError. */
export function resolveKernelSpec(choice: KernelChoice): KernelSpec {
  if (choice.argv && choice.argv.length > 0) {
    const argv = choice.argv;
    return { name: choice.kernelName ?? path.basename(argv[0]), argv, displayName: argv.join(' '), language: '', env: {}, interruptMode: 'signal', resourceDir: '' };
  }
  const name = choice.kernelName ?? KERNEL_NAME;
  const spec = findKernelSpec(name);
  if (spec) return spec;
  if (name === KERNEL_NAME) {
    const own = ownKernel();
    if (own) return { name, argv: own.argv, displayName: DISPLAY_NAME, language: 'typescript', env: own.env, interruptMode: 'message', resourceDir: '' };
  }
  const installed = listKernelSpecs().map((k) => k.name);
  throw new KernelStartError(
    `no Jupyter kernelspec named '${name}' (installed: ${installed.length ? installed.join(', ') : 'none'}). ` +
    (name === KERNEL_NAME ? 'Install ours with `d2l kernel install`, or pass --kernel NAME.' : 'Pass an installed one with --kernel NAME.'));
}

/**
 * This package's own kernel, run directly by this Node (so CI need not install a kernelspec): the compiled
 * dist/kernel/main.js, or in a source checkout kernel/main.ts through ts-node.
 */
export function ownKernel(): { argv: string[]; env: Record<string, string> } | undefined {
  const fromSource = __filename.endsWith('.ts'); // src/client/launch.ts under ts-node, else dist/src/client/launch.js
  const root = packageRoot();
  const compiled = path.join(root, 'dist', 'kernel', 'main.js');
  const source = path.join(root, 'kernel', 'main.ts');
  const viaTsNode = () => {
    if (!fs.existsSync(source)) return undefined;
    try {
      const tsNode = require.resolve('ts-node/register/transpile-only', { paths: [root] });
      // The kernel runs in the notebook's folder: point ts-node at this package's tsconfig explicitly.
      return { argv: [process.execPath, '-r', tsNode, source, '{connection_file}'], env: { TS_NODE_PROJECT: path.join(root, 'tsconfig.json') } };
    } catch {
      return undefined; // no ts-node: not a development checkout
    }
  };
  const viaDist = () => (fs.existsSync(compiled) ? { argv: [process.execPath, compiled, '{connection_file}'], env: {} } : undefined);
  // Run the kernel the same way this code runs, so a development checkout never uses a stale build.
  return fromSource ? viaTsNode() ?? viaDist() : viaDist() ?? viaTsNode();
}

