/**
 * Writing files so that a reader never sees half of one and a failure never destroys the previous version:
 * write a temporary file next to the target, then rename it over the target (atomic on POSIX filesystems).
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export interface AtomicWriteOptions {
  /** File mode of the new file (e.g. 0o600 for secrets). */
  mode?: number;
}

function tempNameFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Replaces `file` with `data` atomically (creating its directory if needed). */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempNameFor(file);
  try {
    const fd = fs.openSync(tmp, 'w', opts.mode);
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fs.fsyncSync(fd); // on disk before the rename: a crash leaves the old file or the new one, never a truncated one
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** `writeFileAtomic` without blocking the event loop. */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempNameFor(file);
  try {
    await fs.promises.writeFile(tmp, data, opts.mode !== undefined ? { mode: opts.mode } : undefined);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Replaces directory `target` with one that `fill(tmpDir)` populates: built beside the target, swapped in only
 * once complete. A failure leaves the old directory as it was.
 */
export function replaceDirAtomic(target: string, fill: (tmpDir: string) => void): void {
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}-`));
  try {
    fill(tmp);
    const old = fs.existsSync(target) ? `${tmp}.old` : undefined;
    if (old) fs.renameSync(target, old);
    fs.renameSync(tmp, target);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
