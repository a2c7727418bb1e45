/**
 * Runs a script in a fresh `node` process that imports d2l as a user does: `require('d2l')` from the repository
 * (node_modules/d2l links to it: the compiled dist/) when dist/ is up to date, else the TypeScript sources through
 * ts-node. What `import 'd2l'` does to tfjs happens once per process, so these checks need their own process.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { distIsFresh, ROOT } from './kernel/harness';
import { SETTINGS } from '../src/settings';

export interface ChildRun { status: number | null; stdout: string; stderr: string }

/**
 * Runs `script` (CommonJS, cwd = repository root); `D2L` in it stands for the expression that loads d2l.
 * The child gets none of d2l's variables from this process (so a D2L_BACKEND set for the test run does not leak
 * in), only `env`.
 */
export function runD2lChild(script: string, env: Record<string, string> = {}): ChildRun {
  const fresh = distIsFresh();
  const load = fresh ? "require('d2l')" : `require(${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))})`;
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const s of SETTINGS) delete base[s.name];
  const args = fresh ? [] : ['-r', require.resolve('ts-node/register/transpile-only')];
  const r = spawnSync(process.execPath, [...args, '-e', script.replace(/\bD2L\b/g, load)], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000,
    env: { ...base, ...(fresh ? {} : { TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') }), ...env },
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The last stdout line of a child that prints its findings as JSON, or an error with everything it wrote. */
export function childJson<T>(run: ChildRun): T {
  const last = run.stdout.trim().split('\n').pop() ?? '';
  try {
    if (run.status !== 0) throw new Error(`exit ${run.status}`);
    return JSON.parse(last) as T;
  } catch (e) {
    throw new Error(`child failed (${(e as Error).message}):\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}
