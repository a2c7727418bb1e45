/**
 * Downloads the four Fashion-MNIST files into a cache directory, checking each against its published SHA-256
 * and writing it atomically (temp file + rename), so an interrupted download never leaves a half file behind
 * that a later run would take for the real one.
 */
import { createHash } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { writeFileAtomicAsync } from '../util/atomic-write';

/** The four files, as published by Zalando Research. */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

/**
 * SHA-256 of the published .gz files (the same files torchvision checks by MD5: 8d4fb7e6…, 25c81989…,
 * bef4ecab…, bb300cfd…). Debian's `dataset-fashion-mnist` recompressed them, so its .gz files differ
 * byte-wise; that is why only downloads are checked against these.
 */
export const FASHION_MNIST_SHA256: Readonly<Record<string, string>> = {
  'train-images-idx3-ubyte.gz': '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
  'train-labels-idx1-ubyte.gz': 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
  't10k-images-idx3-ubyte.gz': '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
  't10k-labels-idx1-ubyte.gz': '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
};

/** Public mirrors, tried in order (the first is the one torchvision and the book's loader use). */
export const FASHION_MNIST_MIRRORS: readonly string[] = [
  'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
  'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
];

/** A minimal `fetch`: what the downloader needs from the global one (tests inject their own). */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<{
  ok: boolean; status: number; statusText: string; arrayBuffer(): Promise<ArrayBuffer>;
}>;

export interface DownloadOptions {
  /** Base URLs (ending in '/') to try in order. Default `FASHION_MNIST_MIRRORS`. */
  mirrors?: readonly string[];
  /** Expected SHA-256 per file name. Default `FASHION_MNIST_SHA256`. */
  sha256?: Readonly<Record<string, string>>;
  /** The fetch implementation. Default: Node's global `fetch`. */
  fetch?: FetchLike;
  /** Per-file time limit in ms. Default 10 minutes. */
  timeoutMs?: number;
  /** Progress messages ("downloading … "). Default: written to stderr. */
  log?: (message: string) => void;
}

/**
 * Makes sure every file in `files` exists in `cacheDir`, downloading the missing ones. Resolves when all are
 * there; rejects with an Error listing every URL tried and why it failed (HTTP status, network error,
 * checksum mismatch).
 */
export async function downloadMissing(cacheDir: string, files: readonly string[], opts: DownloadOptions = {}): Promise<void> {
  const mirrors = opts.mirrors ?? FASHION_MNIST_MIRRORS;
  const sums = opts.sha256 ?? FASHION_MNIST_SHA256;
  const doFetch: FetchLike | undefined = opts.fetch ?? (globalThis as any).fetch;
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  if (!doFetch) throw new Error('no fetch() available in this Node version (Node ≥ 18 has one)');
  await fsp.mkdir(cacheDir, { recursive: true });
  for (const file of files) {
    const target = path.join(cacheDir, file);
    if (await exists(target)) continue;
    const expected = sums[file];
    if (!expected) throw new Error(`no known SHA-256 for ${file}; cannot verify a download`);
    const failures: string[] = [];
    let done = false;
    for (const base of mirrors) {
      const url = base.endsWith('/') ? base + file : `${base}/${file}`;
      log(`Downloading ${url} to ${target}`);
      try {
        const bytes = await fetchBytes(doFetch, url, opts.timeoutMs ?? 600_000);
        const actual = createHash('sha256').update(bytes).digest('hex');
        if (actual !== expected) {
          failures.push(`${url}: SHA-256 mismatch (got ${actual}, expected ${expected}; ${bytes.length} bytes)`);
          continue;
        }
        await writeFileAtomicAsync(target, bytes);
        done = true;
        break;
      } catch (e) {
        failures.push(`${url}: ${(e as Error).message}`);
      }
    }
    if (!done) throw new Error(`could not download ${file}:\n    ${failures.join('\n    ')}`);
  }
}

async function fetchBytes(doFetch: FetchLike, url: string, timeoutMs: number): Promise<Uint8Array> {
  const signal = typeof AbortSignal !== 'undefined' && 'timeout' in AbortSignal
    ? (AbortSignal as any).timeout(timeoutMs) as AbortSignal : undefined;
  let response;
  try {
    response = await doFetch(url, { signal });
  } catch (e) {
    // undici hides the real reason (ECONNREFUSED, ENOTFOUND, …) in `cause`.
    const cause = (e as any)?.cause;
    throw new Error(`${(e as Error).message}${cause?.message ? ` (${cause.message})` : ''}`);
  }
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
  return new Uint8Array(await response.arrayBuffer());
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}
