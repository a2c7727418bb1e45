/**
 * Which notebooks a run executes: the given files and the .ipynb files in the given directories, in a stable order,
 * optionally one shard of them (`--shard i/n`).
 */
import * as fs from 'fs';
import * as path from 'path';

/**
 * The notebooks named by `args`: files as given, and for a directory the .ipynb files directly in it (not in
 * subdirectories: `notebooks/exercises/` holds exercise sheets, not chapter runs), sorted by path, duplicates
 * removed. Hidden files (editor backups, `.ipynb_checkpoints`) are skipped.
 */
export function collectNotebooks(args: string[]): string[] {
  const found: string[] = [];
  for (const arg of args) {
    let st: fs.Stats;
    try {
      st = fs.statSync(arg);
    } catch {
      throw new Error(`${arg}: no such notebook or directory.`);
    }
    if (st.isDirectory()) {
      const inDir = fs.readdirSync(arg, { withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.ipynb') && !e.name.startsWith('.'))
        .map((e) => path.join(arg, e.name));
      if (inDir.length === 0) throw new Error(`${arg}: directory contains no .ipynb notebooks (subdirectories are not searched).`);
      found.push(...inDir);
    } else {
      found.push(arg);
    }
  }
  const byResolved = new Map<string, string>();
  for (const f of found) if (!byResolved.has(path.resolve(f))) byResolved.set(path.resolve(f), path.normalize(f));
  return [...byResolved.values()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface Shard {
  index: number; // 1-based
  count: number;
}

/** Parses `i/n` (1 ≤ i ≤ n). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new Error(`--shard '${text}' is not i/n with 1 ≤ i ≤ n (example: --shard 2/3 runs the second of three shards).`);
  }
  return { index, count };
}

/**
 * Shard i of n: the notebooks whose position in the sorted list is ≡ i-1 (mod n). Round-robin keeps shards
 * balanced when neighbouring notebooks have similar cost; the same inputs always give the same split.
 */
export function selectShard<T>(sortedItems: T[], shard: Shard): T[] {
  return sortedItems.filter((_, k) => k % shard.count === shard.index - 1);
}
