/**
 * Test harness: starts the d2l kernel process on a fresh connection file and talks to it over ZeroMQ with our
 * wire module (a minimal client; the real one is src/client/client.ts).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zmq from 'zeromq';
import { decode, encode, newHeader, Signer, type ConnectionInfo, type Message } from '../../src/jupyter/wire';
import { installKernelspec } from '../../src/jupyter/kernelspec';
import { newConnectionInfo } from '../../src/jupyter/connection';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The kernel run from its TypeScript sources; ts-node by absolute path so any working directory works. */
export function sourceKernelArgv(): string[] {
  return [process.execPath, '-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'kernel', 'main.ts')];
}

/** Environment the kernel needs when run from source: ts-node must use our tsconfig whatever the cwd. */
export function kernelEnv(argv: string[]): NodeJS.ProcessEnv {
  return argv.some((a) => a.endsWith('.ts')) ? { TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') } : {};
}

/** Every TypeScript file `npm run build` compiles into dist/: the files under tsconfig.json's `include` directories. */
export function compiledSources(root = ROOT): string[] {
  const config = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8')) as { include: string[] };
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return walk(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
  return config.include.flatMap((glob) => {
    const m = /^([\w./-]+)\/\*\*\/\*\.ts$/.exec(glob);
    if (!m) throw new Error(`tsconfig.json include '${glob}' is not 'dir/**/*.ts'; teach compiledSources() to read it`);
    return walk(path.join(root, m[1]));
  });
}

/** True when the compiled kernel is newer than every source the build compiles (it runs code from src/ too). */
export function distIsFresh(root = ROOT): boolean {
  const dist = path.join(root, 'dist', 'kernel', 'main.js');
  const built = fs.existsSync(dist) ? fs.statSync(dist).mtimeMs : -Infinity;
  return compiledSources(root).every((s) => fs.statSync(s).mtimeMs <= built);
}

/** Uses the compiled kernel when dist/ is up to date (`distIsFresh`), else runs the sources with ts-node. */
export function kernelArgv(): string[] {
  return distIsFresh() ? [process.execPath, path.join(ROOT, 'dist', 'kernel', 'main.js')] : sourceKernelArgv();
}

export interface StartOptions {
  /** The kernel's command without the connection file (default: kernelArgv()). */
  argv?: string[];
  /** The kernel's working directory (default: the repository root). */
  cwd?: string;
  /** Extra environment variables for the kernel. */
  env?: NodeJS.ProcessEnv;
  /** Starts the process (default: spawns `argv` + the connection file); its stdout/stderr are collected. */
  launch?: (argv: string[], connectionFile: string) => ChildProcess;
}

export class TestKernel {
  readonly messages: Message[] = [];
  stderr = '';
  private waiters: Array<() => void> = [];
  private constructor(
    readonly proc: ChildProcess,
    readonly conn: ConnectionInfo,
    readonly signer: Signer,
    private readonly shell: zmq.Dealer,
    private readonly control: zmq.Dealer,
    private readonly iopub: zmq.Subscriber,
    private readonly dir: string,
  ) {}

  static async start(options: StartOptions = {}): Promise<TestKernel> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-kernel-test-'));
    const conn = await newConnectionInfo();
    const file = path.join(dir, 'connection.json');
    fs.writeFileSync(file, JSON.stringify(conn));
    const argv = options.argv ?? kernelArgv();
    const env = { ...process.env, ...kernelEnv(argv), ...options.env };
    const proc = options.launch ? options.launch(argv, file)
      : spawn(argv[0], [...argv.slice(1), file], { cwd: options.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const shell = new zmq.Dealer({ linger: 0 });
    const control = new zmq.Dealer({ linger: 0 });
    const iopub = new zmq.Subscriber({ linger: 0 });
    shell.connect(`tcp://127.0.0.1:${conn.shell_port}`);
    control.connect(`tcp://127.0.0.1:${conn.control_port}`);
    iopub.connect(`tcp://127.0.0.1:${conn.iopub_port}`);
    iopub.subscribe();
    const k = new TestKernel(proc, conn, new Signer(conn.key), shell, control, iopub, dir);
    proc.stderr!.on('data', (d) => (k.stderr += d.toString()));
    proc.stdout!.on('data', (d) => (k.stderr += d.toString()));
    void k.pump(shell);
    void k.pump(control);
    void k.pump(iopub);
    // The iopub subscription takes a moment: repeat kernel_info until a status for it arrives (as clients do).
    const deadline = Date.now() + 90_000;
    for (;;) {
      const id = k.send('kernel_info_request', {});
      try {
        await k.waitFor((m) => m.parent_header.msg_id === id && m.header.msg_type === 'status', 1000);
        await k.reply(id, 5000);
        return k;
      } catch (e) {
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`kernel did not start: ${e}\n${k.stderr}`);
      }
    }
  }

  /** Sends a request on shell (or control); returns its msg_id. `sign: false` sends it with a wrong signature. */
  send(msgType: string, content: Record<string, unknown>, opts: { channel?: 'shell' | 'control'; badSignature?: boolean } = {}): string {
    const msg: Message = { identities: [], header: newHeader(msgType, 'test-session', 'tester'), parent_header: {}, metadata: {}, content, buffers: [] };
    const frames = encode(msg, this.signer);
    if (opts.badSignature) frames[1] = Buffer.from('0'.repeat(64));
    void (opts.channel === 'control' ? this.control : this.shell).send(frames);
    return msg.header.msg_id;
  }

  execute(code: string, extra: Record<string, unknown> = {}): string {
    return this.send('execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true, ...extra });
  }

  /** The reply (shell or control) to request `id`. */
  async reply(id: string, timeoutMs = 60_000): Promise<Message> {
    return this.waitFor((m) => m.parent_header.msg_id === id && m.header.msg_type.endsWith('_reply') && m.identities.length === 0, timeoutMs);
  }

  /** Waits for the idle status of request `id`, then returns all iopub messages for it (status excluded). */
  async outputs(id: string, timeoutMs = 60_000): Promise<Message[]> {
    await this.waitFor((m) => m.parent_header.msg_id === id && m.header.msg_type === 'status' && m.content.execution_state === 'idle', timeoutMs);
    return this.messages.filter((m) => m.parent_header.msg_id === id && m.identities.length > 0 && m.header.msg_type !== 'status');
  }

  /** Executes `code` and returns its reply and outputs. */
  async run(code: string, extra: Record<string, unknown> = {}): Promise<{ reply: Message; outputs: Message[] }> {
    const id = this.execute(code, extra);
    const reply = await this.reply(id);
    return { reply, outputs: await this.outputs(id) };
  }

  async waitFor(pred: (m: Message) => boolean, timeoutMs: number): Promise<Message> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(pred);
      if (found) return found;
      const left = end - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a kernel message');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const id = this.send('shutdown_request', { restart: false }, { channel: 'control' });
      await this.reply(id, 10_000).catch(() => undefined);
      await new Promise((r) => {
        const t = setTimeout(() => {
          this.proc.kill('SIGKILL');
          r(undefined);
        }, 5000);
        this.proc.once('exit', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    }
    this.shell.close();
    this.control.close();
    this.iopub.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** iopub messages keep their topic frame as identity; replies on dealers have none. */
  private async pump(sock: zmq.Dealer | zmq.Subscriber): Promise<void> {
    try {
      for await (const frames of sock) {
        this.messages.push(decode(frames as Buffer[], this.signer));
        for (const w of this.waiters.splice(0)) w();
      }
    } catch {
      /* socket closed */
    }
  }
}


/** Installs the kernelspec under a temp prefix; uses the TypeScript sources if dist/ is older than them. */
export function installTempKernelspec(): { prefix: string; env: NodeJS.ProcessEnv } {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-kernelspec-'));
  const dir = installKernelspec({ kind: 'prefix', prefix });
  const specFile = path.join(dir, 'kernel.json');
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));
  spec.argv = [...kernelArgv(), '{connection_file}'];
  spec.env = { ...spec.env, ...kernelEnv(spec.argv) };
  fs.writeFileSync(specFile, JSON.stringify(spec));
  const env = {
    ...process.env,
    JUPYTER_PATH: path.join(prefix, 'share', 'jupyter'),
    JUPYTER_RUNTIME_DIR: path.join(prefix, 'runtime'),
    JUPYTER_CONFIG_DIR: path.join(prefix, 'config'),
    JUPYTER_DATA_DIR: path.join(prefix, 'data'),
  };
  return { prefix, env };
}

