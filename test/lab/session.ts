/**
 * One JupyterLab session for the test: Debian's jupyterlab_server serving the built front end on loopback (a fresh
 * state directory whose page_config.json disables the announcements plugin, and plotly's renderer when asked), the
 * d2l kernelspec in a temporary Jupyter path, and a headless Debian Chromium page driven by playwright-core.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { installTempKernelspec } from '../kernel/harness';
import { freePort } from '../../src/jupyter/connection';

const CHROMIUM = '/usr/bin/chromium';
const PYTHON = '/usr/bin/python3';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];
/** Plugins the test app must not load: the announcements plugin needs a handler only the jupyterlab package has. */
const ALWAYS_DISABLED = ['@jupyterlab/apputils-extension:announcements'];

export interface SessionOptions {
  buildDir: string;
  /** Served as the server's root: the notebooks the test opens. */
  rootDir: string;
  /** Include plotly's mime renderer (jupyterlab-plotly). */
  plotly: boolean;
  /** Extra environment for the server and so the kernels (e.g. D2L_PROFILE). */
  env?: NodeJS.ProcessEnv;
}

export class LabSession {
  private constructor(
    readonly page: Page,
    readonly base: string,
    readonly token: string,
    private readonly server: ChildProcess,
    private readonly context: BrowserContext,
    private readonly tempDirs: string[],
    private readonly log: string[],
  ) {}

  static async start(opts: SessionOptions): Promise<LabSession> {
    const { prefix, env } = installTempKernelspec();
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-lab-state-'));
    const disabled = [...ALWAYS_DISABLED, ...(opts.plotly ? [] : ['jupyterlab-plotly'])];
    fs.writeFileSync(path.join(state, 'page_config.json'), JSON.stringify({ disabledExtensions: disabled }));
    const port = await freePort();
    const token = randomBytes(16).toString('hex');
    const server = spawn(PYTHON, [path.join(__dirname, 'server.py'), '--build', opts.buildDir, '--state', state,
      '--ServerApp.ip=127.0.0.1', `--ServerApp.port=${port}`, `--ServerApp.token=${token}`,
      '--ServerApp.open_browser=False', `--ServerApp.root_dir=${opts.rootDir}`, '--ServerApp.allow_root=True',
      // a notebook the test saves must read as untrusted once changed: signatures kept in memory only
      '--NotebookNotary.db_file=:memory:'],
    { env: { ...env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-lab-chromium-'));
    const tempDirs = [prefix, state, userDataDir];
    const log: string[] = [];
    server.stdout!.on('data', (d) => log.push(String(d)));
    server.stderr!.on('data', (d) => log.push(String(d)));
    const base = `http://127.0.0.1:${port}`;
    let context: BrowserContext | undefined;
    try {
      await waitForServer(`${base}/api/status?token=${token}`, server, 60_000, log);
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 1000 },
        timeout: 60_000,
      });
      const page = context.pages()[0] ?? await context.newPage();
      page.setDefaultTimeout(60_000);
      const session = new LabSession(page, base, token, server, context, tempDirs, log);
      page.on('pageerror', (e) => log.push(`[page error] ${e.message}\n`));
      await page.goto(`${base}/lab?token=${token}`);
      await page.waitForSelector('body[data-d2l-lab-ready]', { state: 'attached', timeout: 120_000 });
      return session;
    } catch (e) {
      await context?.close().catch(() => undefined);
      await stopServer(server);
      for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`${(e as Error).message}\n--- server log ---\n${log.join('').slice(-4000)}`);
    }
  }

  /** The last lines of the server's log (kernel start-up errors land here). */
  serverLog(chars = 4000): string {
    return this.log.join('').slice(-chars);
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    await stopServer(this.server);
    for (const dir of this.tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForServer(url: string, server: ChildProcess, timeoutMs: number, log: string[]): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (server.exitCode !== null) throw new Error(`the Lab server exited with ${server.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the Lab server did not answer ${url} within ${timeoutMs} ms\n${log.join('').slice(-2000)}`);
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null) return;
  server.kill('SIGTERM'); // jupyter_server shuts its kernels down on SIGTERM
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      server.kill('SIGKILL');
      resolve();
    }, 15_000);
    server.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
