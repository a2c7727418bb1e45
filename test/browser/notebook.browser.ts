/**
 * Real-browser test (run by `npm run test:browser`): Debian's classic Jupyter Notebook on loopback with the d2l
 * kernelspec, a notebook opened in headless Debian Chromium via playwright-core, all cells run; asserts that text,
 * HTML, a PNG image and a plotly chart (text/html fallback with plotly.js inlined) rendered, and saves a
 * screenshot to test-results/notebook-browser.png. Exits non-zero on failure; every wait is bounded.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { chromium } from 'playwright-core';
import { installTempKernelspec, ROOT } from '../kernel/harness';

const RESULTS = path.join(ROOT, 'test-results');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

function cells(): string[] {
  const plotlyPath = require.resolve('plotly.js-dist');
  const logo = path.join(ROOT, 'kernel', 'logo-64x64.png');
  return [
    'console.log("hello from the d2l kernel");',
    'display({ "text/html": "<b id=\\"d2l-html\\">rich <i>HTML</i> output</b>", "text/plain": "rich HTML output" });',
    `import * as fs from 'fs';\ndisplay({ 'image/png': fs.readFileSync(${JSON.stringify(logo)}).toString('base64'), 'text/plain': 'logo' });`,
    [
      `const plotlyJs = fs.readFileSync(${JSON.stringify(plotlyPath)}, 'utf8');`,
      "const figure = { data: [{ x: [1, 2, 3], y: [2, 1, 3], type: 'scatter' }], layout: { title: { text: 'd2l plotly test' }, width: 500, height: 300 } };",
      'display({',
      "  'application/vnd.plotly.v1+json': figure,",
      // Classic Notebook has require.js: hide its AMD `define` so plotly.js sets window.Plotly.
      "  'text/html': `<div id=\"d2l-plot\"></div><script>(function (define, module, exports) {${plotlyJs}\\n}).call(window);</script>`",
      "    + `<script>Plotly.newPlot('d2l-plot', ${JSON.stringify(figure.data)}, ${JSON.stringify(figure.layout)});</script>`,",
      "  'text/plain': 'plotly figure',",
      '});',
    ].join('\n'),
    '6 * 7',
  ];
}

function notebookJson(): string {
  return JSON.stringify({
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: 'd2l', display_name: 'TypeScript (d2l)', language: 'typescript' } },
    cells: cells().map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (server.exitCode !== null) throw new Error(`jupyter notebook exited with ${server.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`jupyter notebook did not answer ${url} within ${timeoutMs} ms`);
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`browser test: ${what}`);
  console.log(`ok - ${what}`);
}

async function main(): Promise<void> {
  fs.mkdirSync(RESULTS, { recursive: true });
  const { prefix, env } = installTempKernelspec();
  // Inside the checkout so notebook code resolves node_modules (types for 'fs') like a student's project does.
  const nbDir = fs.mkdtempSync(path.join(RESULTS, 'browser-notebooks-'));
  fs.writeFileSync(path.join(nbDir, 'browser-test.ipynb'), notebookJson());
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const log: string[] = [];
  const server = spawn('/usr/bin/python3', ['-m', 'notebook', '--no-browser', '--ip=127.0.0.1', `--port=${port}`,
    `--NotebookApp.token=${token}`, `--notebook-dir=${nbDir}`, '--NotebookApp.open_browser=False', '--allow-root'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (d) => log.push(String(d)));
  server.stderr!.on('data', (d) => log.push(String(d)));
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-chromium-'));
  let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined;
  try {
    await waitForServer(`http://127.0.0.1:${port}/api/status?token=${token}`, server, 60_000);
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1100, height: 1400 }, timeout: 60_000 });
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(`http://127.0.0.1:${port}/notebooks/browser-test.ipynb?token=${token}`);
    await page.waitForFunction(() => {
      const J = (window as any).Jupyter;
      return J?.notebook?.kernel?.is_connected?.() && J.notebook.kernel_selector?.current_selection === 'd2l';
    }, undefined, { timeout: 120_000 });
    await page.evaluate(() => (window as any).Jupyter.notebook.execute_all_cells());
    await page.waitForFunction(() => (window as any).Jupyter.notebook.get_cells()
      .every((c: any) => typeof c.input_prompt_number === 'number'), undefined, { timeout: 180_000 });
    await page.waitForSelector('#d2l-plot .main-svg', { timeout: 60_000 }).catch(() => undefined);

    const stdout = await page.locator('.output_stdout').allInnerTexts();
    check(stdout.some((t) => t.includes('hello from the d2l kernel')), 'stdout text rendered');
    check((await page.locator('#d2l-html').innerText()).includes('rich HTML output'), 'HTML output rendered');
    const imageWidth = await page.locator('.output_png img').first().evaluate((img) => (img as HTMLImageElement).naturalWidth);
    check(imageWidth === 64, 'PNG image rendered (64 px wide)');
    check(await page.locator('#d2l-plot .main-svg').count() > 0, 'plotly chart rendered as SVG by plotly.js');
    check((await page.locator('.output_result').allInnerTexts()).some((t) => t.includes('42')), 'execute_result rendered');
    check(await page.locator('.output_error').count() === 0, 'no error outputs');
    await page.screenshot({ path: path.join(RESULTS, 'notebook-browser.png'), fullPage: true });
    console.log(`screenshot: ${path.join(RESULTS, 'notebook-browser.png')}`);
    await page.evaluate(() => (window as any).Jupyter.notebook.kernel.kill()).catch(() => undefined);
  } catch (e) {
    console.error(log.join('').slice(-4000));
    throw e;
  } finally {
    await context?.close().catch(() => undefined);
    server.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => {
        server.kill('SIGKILL');
        r(undefined);
      }, 10_000);
      server.once('exit', () => {
        clearTimeout(t);
        r(undefined);
      });
    });
    for (const dir of [prefix, nbDir, userDataDir]) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
