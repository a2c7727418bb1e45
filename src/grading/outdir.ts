/**
 * The grader's output directory is its own: created private (0700) when new, locked while a run writes to it
 * (`.d2l-grade.lock`, holding the pid), and home of the key that signs every record (`.d2l-grade-key`, 0600).
 * Kernels never see this directory (the sandbox does not show it), so the key never reaches a submission; a
 * record not signed with it — written by anything else — is not trusted (results.ts).
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const LOCK_FILE = '.d2l-grade.lock';
export const KEY_FILE = '.d2l-grade-key';

/** The output directory could not be taken (in use, unsafe permissions, not a directory); the message says what to do. */
export class OutputDirError extends Error {
  override name = 'OutputDirError';
}

export interface OutputDir {
  dir: string;
  /** The HMAC key of this directory's records. */
  key: Buffer;
  /** Releases the lock. */
  close(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function takeLock(file: string, log: (line: string) => void): void {
  const mine = `${process.pid} ${os.hostname()}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, mine, { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const [pid, host] = fs.readFileSync(file, 'utf8').trim().split(' ');
    if (host === os.hostname() && Number(pid) > 0 && alive(Number(pid))) {
      throw new OutputDirError(`${path.dirname(file)} is in use by another d2l grade (pid ${pid}); wait for it to finish, or use another --out`);
    }
    if (host !== os.hostname()) {
      throw new OutputDirError(`${path.dirname(file)} is locked by d2l grade on ${host} (pid ${pid}); if that run is over, delete ${file}`);
    }
    log(`${path.dirname(file)}: taking over the lock of an earlier run (pid ${pid}) that is gone`);
    fs.rmSync(file, { force: true });
  }
  throw new OutputDirError(`cannot lock ${path.dirname(file)}: ${file} keeps reappearing`);
}

function readOrMakeKey(file: string): Buffer {
  if (!fs.existsSync(file)) {
    const key = randomBytes(32);
    fs.writeFileSync(file, key.toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
    return key;
  }
  const st = fs.lstatSync(file);
  if (!st.isFile()) throw new OutputDirError(`${file} is not a regular file; remove it (a new key means every record is graded again)`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new OutputDirError(`${file} belongs to another user (uid ${st.uid}); grade into an output directory of your own`);
  }
  if ((st.mode & 0o077) !== 0) throw new OutputDirError(`${file} can be read by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${file}`);
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
  if (key.length < 16) throw new OutputDirError(`${file} holds no usable key; remove it (every record is then graded again)`);
  return key;
}

/** Creates or opens `dir` for one grading run (see the file comment). */
export function openOutputDir(dir: string, log: (line: string) => void = () => undefined): OutputDir {
  if (fs.existsSync(dir)) {
    const st = fs.lstatSync(dir);
    if (!st.isDirectory()) throw new OutputDirError(`--out ${dir} exists and is not a directory; pass a directory`);
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
      throw new OutputDirError(`--out ${dir} belongs to another user (uid ${st.uid}); grade into an output directory of your own`);
    }
  } else {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  const lock = path.join(dir, LOCK_FILE);
  takeLock(lock, log);
  try {
    const key = readOrMakeKey(path.join(dir, KEY_FILE));
    let closed = false;
    return { dir, key, close: () => { if (!closed) { closed = true; fs.rmSync(lock, { force: true }); } } };
  } catch (e) {
    fs.rmSync(lock, { force: true });
    throw e;
  }
}
