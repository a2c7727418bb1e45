/**
 * One bubblewrap (`bwrap`) sandbox per submission's kernel, so that a submission can neither read nor change
 * anything of the teacher's, the grader's or another student's (threat model: docs/teachers.md).
 *
 * What the kernel sees:
 * - the system read-only (/usr and the /bin, /lib… links, a few files of /etc the dynamic linker and Node need),
 *   Node's own install and this package (its code and node_modules) read-only, and nothing else of the host:
 *   no home directory, no source notebooks, no submissions, no grades (paths the caller names are also masked
 *   where they lie under a bound directory);
 * - a fresh, size-capped /tmp (its working directory is /tmp/work), its own /proc and a minimal /dev; the rest of
 *   its root is read-only;
 * - its own pid, network, IPC, UTS and (where allowed) user namespaces: no other process of the host, no network
 *   but its own loopback. Its Jupyter channels are Unix sockets in its /tmp, reached from here through
 *   /proc/<pid>/root, so no host directory is writable from inside;
 * - only an allow-list of environment variables (ENV_PREFIXES, ENV_NAMES, and the kernel's own), no capabilities,
 *   a session of its own (no terminal of ours), and death with the grader: --die-with-parent, and every process
 *   it started dies with its pid namespace.
 * Works as root (CI) and as an ordinary user where unprivileged user namespaces are allowed.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { KernelSpawner, SpawnedKernel } from '../client/client';
import { packageRoot } from '../util/package-root';

export const BWRAP = 'bwrap';

/** Where the kernel's channels live inside the sandbox (a directory of its /tmp). */
const SOCKET_DIR = '/tmp/.kernel';
const WORK_DIR = '/tmp/work';

/** Host environment variables passed into the sandbox: d2l's and the compute libraries' settings, locale. */
export const ENV_PREFIXES = ['D2L_', 'ONEDNN_', 'DNNL_', 'OMP_', 'TF_CPP_', 'LC_'];
export const ENV_NAMES = ['LANG', 'LANGUAGE', 'TZ'];

export interface SandboxOptions {
  /** Host paths the kernel must never see (source notebooks, submissions, the output dir, $HOME). */
  hide?: string[];
  /** Size cap of the sandbox's /tmp in MiB (default 256). */
  tmpMb?: number;
  /** More host paths to show read-only (e.g. another kernelspec's resource directory). */
  readOnly?: string[];
}

function isUnder(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Read-only host paths the kernel needs besides /usr: Node's install and this package's code and modules. */
export function packagePaths(): string[] {
  const out: string[] = [];
  const node = fs.realpathSync(process.execPath);
  if (!isUnder(node, '/usr')) out.push(path.dirname(path.dirname(node))); // e.g. ~/.nvm/versions/node/vX
  const root = packageRoot();
  // Only what running the kernel needs: a development checkout also holds tests, fixtures and notebooks.
  for (const entry of ['package.json', 'tsconfig.json', 'bin', 'dist', 'src', 'kernel', 'native', 'node_modules']) {
    const p = path.join(root, entry);
    if (exists(p)) out.push(p);
  }
  // An installed d2l finds its dependencies next to it (npm hoists them into the project's node_modules).
  const parent = path.dirname(root);
  if (path.basename(parent) === 'node_modules') out.push(parent);
  else if (path.basename(path.dirname(parent)) === 'node_modules' && path.basename(parent).startsWith('@')) out.push(path.dirname(parent));
  return out;
}

/** /bin, /lib… as on the host: links into /usr are recreated, real directories bound read-only. */
function systemArgs(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const p = `/${name}`;
    let st: fs.Stats;
    try { st = fs.lstatSync(p); } catch { continue; }
    if (st.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(p), p);
    else if (st.isDirectory()) args.push('--ro-bind', p, p);
  }
  // The dynamic linker's cache (libdnnl and friends live in multiarch directories), time zone, user names.
  for (const f of ['ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'alternatives', 'localtime', 'passwd', 'group', 'nsswitch.conf']) {
    args.push('--ro-bind-try', `/etc/${f}`, `/etc/${f}`);
  }
  return args;
}

/** The allow-listed environment as `--setenv` pairs; the kernel's own variables win. */
export function envArgs(hostEnv: NodeJS.ProcessEnv, kernelEnv: Record<string, string>): string[] {
  const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', TMPDIR: '/tmp' };
  const node = path.dirname(fs.realpathSync(process.execPath));
  if (!isUnder(node, '/usr')) env.PATH = `${node}:${env.PATH}`;
  for (const [k, v] of Object.entries(hostEnv)) {
    if (v !== undefined && (ENV_NAMES.includes(k) || ENV_PREFIXES.some((p) => k.startsWith(p)))) env[k] = v;
  }
  Object.assign(env, kernelEnv);
  delete env.JPY_PARENT_PID; // the grader is not in the sandbox's pid namespace; --die-with-parent does that job
  return Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([k, v]) => ['--setenv', k, v]);
}

/**
 * The bwrap arguments (before `--` and the kernel's command line). `bound` are the read-only host paths; each
 * `hide` path under one of them is covered by an empty tmpfs (directories) or /dev/null (files).
 */
export function sandboxArgs(opts: { bound: string[]; hide: string[]; tmpMb: number; env: string[]; statusFd?: number }): string[] {
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--clearenv', ...opts.env, ...systemArgs(),
    // The fresh /tmp first: bwrap mounts in order, so a package that lives under the host's /tmp (a CI clone in
    // /tmp/ci) is bound on top of it instead of being covered by it.
    '--size', String(opts.tmpMb * 1024 * 1024), '--perms', '1777', '--tmpfs', '/tmp'];
  for (const p of opts.bound) args.push('--ro-bind', p, p);
  for (const h of opts.hide.map((p) => path.resolve(p))) {
    if (![...opts.bound, '/usr'].some((b) => isUnder(h, b))) continue; // not visible anyway
    let dir = true;
    try { dir = fs.statSync(h).isDirectory(); } catch { continue; }
    args.push(...(dir ? ['--tmpfs', h] : ['--ro-bind', '/dev/null', h]));
  }
  args.push('--proc', '/proc', '--dev', '/dev',
    '--dir', WORK_DIR, '--dir', SOCKET_DIR, '--chdir', WORK_DIR);
  return args;
}

/** Everything is mounted: make the sandbox's own root and /dev read-only too (they are unbounded tmpfs). */
const FINAL_ARGS = ['--remount-ro', '/dev', '--remount-ro', '/'];

let probed: { ok: true } | { ok: false; reason: string } | undefined;

/** Whether a bwrap sandbox can run Node here (checked once per process, with this package bound). */
export function probeSandbox(bwrap = BWRAP): { ok: true } | { ok: false; reason: string } {
  if (probed && bwrap === BWRAP) return probed;
  const result = runProbe(bwrap);
  if (bwrap === BWRAP) probed = result;
  return result;
}

function runProbe(bwrap: string): { ok: true } | { ok: false; reason: string } {
  const args = [...sandboxArgs({ bound: packagePaths(), hide: [], tmpMb: 16, env: envArgs({}, {}) }), ...FINAL_ARGS,
    '--', process.execPath, '-e', 'process.exit(require("fs").existsSync("/proc/1") ? 0 : 5)'];
  const r = spawnSync(bwrap, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) {
    return { ok: false, reason: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${bwrap} is not installed` : `${bwrap} did not run: ${r.error.message}` };
  }
  if (r.status !== 0) return { ok: false, reason: `${bwrap} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' / ')}` };
  return { ok: true };
}

/** How to make the sandbox work, for the error that says it does not. */
export const SANDBOX_HELP = `Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap). As an ordinary user it needs unprivileged user namespaces: ` +
  `on Debian 10 and older 'sysctl kernel.unprivileged_userns_clone=1'; on Ubuntu 23.10 and later an AppArmor profile ` +
  `that allows bwrap to create them (or 'sysctl kernel.apparmor_restrict_unprivileged_userns=0'). In a container, run ` +
  `the container with user namespaces allowed, or grade as root. See docs/teachers.md ("Running it"). ` +
  `Or pass --no-sandbox to grade without one (submissions can then read and change your files).`;

/** Starts kernels in a bwrap sandbox (see the file comment). */
export class BwrapSpawner implements KernelSpawner {
  readonly ipcPrefix = `${SOCKET_DIR}/ch`;
  private readonly bound: string[];

  constructor(private readonly opts: SandboxOptions = {}) {
    this.bound = [...packagePaths(), ...(opts.readOnly ?? []).filter(exists)];
  }

  spawn(kernel: { argv: string[]; env: Record<string, string>; connectionFile: string }): SpawnedKernel {
    const args = [
      ...sandboxArgs({ bound: this.bound, hide: this.opts.hide ?? [], tmpMb: this.opts.tmpMb ?? 256, env: envArgs(process.env, kernel.env) }),
      '--ro-bind', kernel.connectionFile, kernel.connectionFile,
      ...FINAL_ARGS, '--json-status-fd', '3', '--', ...kernel.argv,
    ];
    // cwd '/': bwrap itself must not keep a directory of ours open (the sandbox's cwd is set by --chdir).
    const proc: ChildProcess = spawn(BWRAP, args, { cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    return { proc, clientIpcPrefix: childPid(proc).then((pid) => `/proc/${pid}/root${this.ipcPrefix}`) };
  }
}

/** The sandboxed command's pid (in our pid namespace), from bwrap's --json-status-fd. */
function childPid(proc: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const status = proc.stdio[3] as NodeJS.ReadableStream | null;
    if (!status) return reject(new Error('bwrap: no status pipe'));
    let text = '';
    status.setEncoding('utf8');
    status.on('data', (chunk: string) => {
      text += chunk;
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    status.on('end', () => reject(new Error('bwrap exited before starting the kernel')));
    status.on('error', reject);
  });
}

/** pid → parent pid of every process we can see (Linux /proc; empty elsewhere). */
function parentPids(): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[];
  try { entries = fs.readdirSync('/proc'); } catch { return out; }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.set(Number(e), ppid);
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** `root` and all its descendants that are alive now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentPids()) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/** Resident set size of a process in MiB (Linux /proc; undefined elsewhere or when it is gone). */
export function residentMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s*(\d+)\s*kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resident memory of `root` and every process below it, in MiB: the kernel and whatever it started (inside a
 * sandbox every process of the submission is below bwrap). Undefined when nothing can be measured.
 */
export function treeResidentMb(root: number): number | undefined {
  let total: number | undefined;
  for (const pid of processTree(root)) {
    const mb = residentMb(pid);
    if (mb !== undefined) total = (total ?? 0) + mb;
  }
  return total;
}
