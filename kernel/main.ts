/**
 * The d2l Jupyter kernel process: `node dist/kernel/main.js <connection-file>`. See kernel/README.md.
 * Starts the I/O thread first (so clients connect while the TypeScript engine warms up), makes d2l and its tfjs
 * importable from any folder, creates the engine meanwhile, defines the notebook globals `display` and
 * `clearOutput`, and serves requests until shutdown.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import { display, clearOutput } from '../src/display/protocol';
import type { ConnectionInfo, Message } from '../src/jupyter/wire';
import { packageVersion } from '../src/util/package-root';
import { Engine } from './engine';
import { IoChannel } from './io/channel';
import { Slot } from './io/shared';
import { OpBoundaryChecks } from './interrupt';
import { Kernel } from './kernel';
import { exitCleanlyOnProcessExit, watchParent } from './lifecycle';
import { installModuleResolution, sharedPackages } from './modules';
import { kernelLog } from './output';
import { installCellTimers, realTimers } from './timers';

/** Declares `display` and `clearOutput` in the notebook (typed), bound to the d2l display protocol. */
const PRELUDE = `
const display: (value: unknown, options?: { displayId?: string; update?: boolean; metadata?: Record<string, unknown> }) => void = (globalThis as any)[Symbol.for('d2l.kernel.display')];
const clearOutput: (options?: { wait?: boolean }) => void = (globalThis as any)[Symbol.for('d2l.kernel.clearOutput')];
`;

/** How often the main thread reports that its event loop turns (the I/O thread's starvation test). */
const LOOP_TICK_MS = 100;

export async function startKernel(connectionFile: string): Promise<void> {
  let conn: ConnectionInfo;
  try {
    conn = JSON.parse(fs.readFileSync(connectionFile, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the connection file '${connectionFile}': ${(e as Error).message}. Jupyter passes it as {connection_file} in kernel.json.`);
  }
  const session = randomUUID();
  let kernel: Kernel | undefined;
  const early: Array<() => void> = [];
  // Installed first: without a listener SIGINT would kill the kernel instead of interrupting a cell. Our own I/O
  // thread's SIGINTs are for V8's watchdog only (io/shared.ts, Slot.SelfSignalAt).
  let channelForSignals: IoChannel | undefined;
  process.on('SIGINT', () => {
    if (!channelForSignals?.recentSelfSignal()) kernel?.interrupt('signal');
  });
  const opening = IoChannel.open(conn, session, {
    onRequest: (channel, m: Message, seq) => (kernel ? kernel.onRequest(channel, m, seq) : early.push(() => kernel!.onRequest(channel, m, seq))),
    onInterrupt: (target, m) => (kernel ? kernel.onInterrupt(target, m) : early.push(() => kernel!.onInterrupt(target, m))),
    log: kernelLog,
  });
  opening.catch(() => undefined); // not unhandled while the engine is built: the await below reports it
  // Notebooks' working directory is the notebook's folder: modules resolve from there, d2l and tfjs from d2l.
  const packages = sharedPackages();
  installModuleResolution(packages);
  let shared: Int32Array | undefined;
  const shield = { enter: () => shared && Atomics.add(shared, Slot.Shielded, 1), exit: () => shared && Atomics.sub(shared, Slot.Shielded, 1) };
  // Built while the sockets bind on the I/O thread (the engine takes ~2 s of CPU).
  const engine = new Engine(process.cwd(), packages, shield);
  const channel = await opening;
  channelForSignals = channel;
  shared = channel.shared;
  installCellTimers(channel.shared);
  realTimers.setInterval(() => Atomics.add(channel.shared, Slot.LoopTurns, 1), LOOP_TICK_MS).unref();
  // From here on, every way out (a cell's process.exit, our client dying) closes the sockets first.
  exitCleanlyOnProcessExit(channel);
  watchParent(process.env, () => process.exit(0));
  (globalThis as any)[Symbol.for('d2l.kernel.display')] = display;
  (globalThis as any)[Symbol.for('d2l.kernel.clearOutput')] = clearOutput;
  const prelude = await engine.execute(PRELUDE, 'prelude');
  if (!prelude.ok) kernelLog(`prelude failed: ${prelude.error?.evalue}`);

  const layers = packages.dirs.get('@tensorflow/tfjs-layers');
  const opChecks = new OpBoundaryChecks(channel.shared, layers ? require.resolve(layers) : undefined);
  kernel = new Kernel(channel, engine, session, { implementationVersion: packageVersion(), typescriptVersion: engine.typescriptVersion }, opChecks);
  process.on('uncaughtException', (e) => process.stderr.write(`Uncaught ${e instanceof Error ? e.stack : e}\n`));
  process.on('unhandledRejection', (e) => process.stderr.write(`Unhandled promise rejection: ${e instanceof Error ? e.stack : e}\n`));
  kernel.announce();
  for (const replay of early.splice(0)) replay();
  await kernel.stopped;
  engine.close();
  await channel.close();
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
