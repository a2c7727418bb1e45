/**
 * The d2l Jupyter kernel process: `node dist/kernel/main.js <connection-file>`.
 * Starts binding the sockets and the control worker first (so clients connect while the TypeScript engine warms
 * up), creates the engine meanwhile, defines the notebook globals `display` and `clearOutput`, and serves requests until shutdown.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Engine } from './engine';
import { Kernel } from './kernel';
import { exitCleanlyOnProcessExit, watchParent } from './lifecycle';
import { kernelLog } from './output';
import { Transport } from './transport';
import type { ConnectionInfo, Message } from '../src/jupyter/wire';
import { display, clearOutput } from '../src/display/protocol';

/** Declares `display` and `clearOutput` in the notebook (typed), bound to the d2l display protocol. */
const PRELUDE = `
const display: (value: unknown, options?: { displayId?: string; update?: boolean; metadata?: Record<string, unknown> }) => void = (globalThis as any)[Symbol.for('d2l.kernel.display')];
const clearOutput: (options?: { wait?: boolean }) => void = (globalThis as any)[Symbol.for('d2l.kernel.clearOutput')];
`;

function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === 'd2l') return String(pkg.version);
    }
  }
  return '0.0.0';
}

export async function startKernel(connectionFile: string): Promise<void> {
  let conn: ConnectionInfo;
  try {
    conn = JSON.parse(fs.readFileSync(connectionFile, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the connection file '${connectionFile}': ${(e as Error).message}. Jupyter passes it as {connection_file} in kernel.json.`);
  }
  const session = randomUUID();
  let kernel: Kernel | undefined;
  const early: Array<['shell' | 'control' | 'interrupted', Message]> = [];
  // Installed first: without a listener SIGINT would kill the kernel instead of interrupting a cell.
  process.on('SIGINT', () => kernel?.interrupt());
  const opening = Transport.open(conn, session, {
    onShell: (m) => (kernel ? kernel.onShell(m) : early.push(['shell', m])),
    onControl: (m) => (kernel ? kernel.onControl(m) : early.push(['control', m])),
    onInterrupted: (m) => (kernel ? kernel.onInterrupted(m) : early.push(['interrupted', m])),
  });
  // Built while the sockets bind and the control worker boots on its own thread (the engine takes ~2 s of CPU).
  // Notebooks' working directory is the notebook's folder: modules resolve from there, as in Node.
  opening.catch(() => undefined); // not unhandled while the engine is built: the await below reports it
  const engine = new Engine(process.cwd());
  const transport = await opening;
  // From here on, every way out (a cell's process.exit, our client dying) closes the sockets first.
  exitCleanlyOnProcessExit(transport, () => kernel?.flushStream());
  watchParent(process.env, () => process.exit(0));
  (globalThis as any)[Symbol.for('d2l.kernel.display')] = display;
  (globalThis as any)[Symbol.for('d2l.kernel.clearOutput')] = clearOutput;
  const prelude = await engine.execute(PRELUDE, 'prelude');
  if (!prelude.ok) kernelLog(`prelude failed: ${prelude.error?.evalue}`);

  kernel = new Kernel(transport, engine, session, { implementationVersion: packageVersion(), typescriptVersion: engine.typescriptVersion });
  process.on('uncaughtException', (e) => process.stderr.write(`Uncaught ${e instanceof Error ? e.stack : e}\n`));
  process.on('unhandledRejection', (e) => process.stderr.write(`Unhandled promise rejection: ${e instanceof Error ? e.stack : e}\n`));
  kernel.announce();
  for (const [kind, m] of early.splice(0)) {
    if (kind === 'shell') kernel.onShell(m);
    else if (kind === 'control') kernel.onControl(m);
    else kernel.onInterrupted(m);
  }
  await kernel.stopped;
  engine.close();
  await transport.close();
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/kernel/main.js <connection-file>\n');
    process.exit(2);
  }
  startKernel(file).then(() => process.exit(0), (e) => {
    process.stderr.write(`d2l kernel: ${e instanceof Error ? e.message : e}\n`);
    process.exit(1);
  });
}
