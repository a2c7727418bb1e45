/**
 * Real-browser test (run by `npm run test:browser`): Debian's classic Jupyter Notebook on loopback with the d2l
 * kernelspec, a notebook opened in headless Debian Chromium via playwright-core, all cells run; asserts that text,
 * HTML, a PNG image, a plotly chart (text/html fallback with plotly.js inlined) and d2l's figures (architecture
 * diagram, image grid, Animator) rendered, then that the saved notebook reopened untrusted still shows d2l's figures
 * as images. Screenshots: test-results/notebook-browser{,-untrusted}.png. Exits non-zero on failure; every wait is
 * bounded.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium } from 'playwright-core';
import { installTempKernelspec, ROOT } from '../kernel/harness';
import { freePort } from '../../src/jupyter/connection';

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
    // d2l's own figures (src/display/bundles.ts): cells 5, 6, 7
    "import * as d2l from 'd2l';\nawait d2l.ensureBackend();\nawait d2l.drawArchitecture(d2l.lenetBN())",
    "import * as tf from '@tensorflow/tfjs';\nd2l.showImages(tf.linspace(0, 1, 2 * 28 * 28).reshape([2, 28, 28]), 1, 2, ['a', 'b']);",
    "const animator = new d2l.Animator({ xlabel: 'epoch', legend: ['y'] });\n"
      + 'for (let i = 1; i <= 3; i++) await animator.add(i, 1 / i);\nawait animator.flush();',
  ];
}

/** A screenshot of the whole notebook (it scrolls inside #site, so the window is made as tall as its content). */
async function screenshot(page: import('playwright-core').Page, file: string): Promise<void> {
  const viewport = page.viewportSize()!;
  const extra = await page.evaluate(() => {
    const site = document.getElementById('site')!;
    return site.scrollHeight - site.clientHeight;
  });
  await page.setViewportSize({ width: viewport.width, height: viewport.height + Math.max(0, extra) });
  await page.screenshot({ path: file });
  await page.setViewportSize(viewport);
  console.log(`screenshot: ${file}`);
}

/** Per d2l figure cell: loaded `<img>` of an SVG, and charts drawn by plotly.js. */
async function figureState(page: import('playwright-core').Page): Promise<{ images: number[]; plotly: number }> {
  return page.evaluate(() => {
    const cells = Array.from(document.querySelectorAll('.cell'));
    const images = [5, 6, 7].map((i) => Array.from(cells[i].querySelectorAll('.output_area img'))
      .filter((img) => (img as HTMLImageElement).src.startsWith('data:image/svg+xml') && (img as HTMLImageElement).naturalWidth > 0).length);
    return { images, plotly: cells[7].querySelectorAll('.d2l-plot .main-svg').length };
  });
}

function notebookJson(): string {
  return JSON.stringify({
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: 'd2l', display_name: 'TypeScript (d2l)', language: 'typescript' } },
    cells: cells().map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
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
    // outputs travel on iopub, the prompt number on shell: the Animator's last update may still be on its way
    await page.waitForFunction(() => document.querySelectorAll('.cell')[7]?.querySelector('.d2l-plot .main-svg'),
      undefined, { timeout: 30_000 }).catch(() => undefined);
    const trusted = await figureState(page);
    check(trusted.images[0] === 1 && trusted.images[1] === 1, 'd2l architecture figure and image grid shown as SVG images');
    check(trusted.plotly > 0, "d2l Animator drawn by plotly.js (trusted output)");
    await screenshot(page, path.join(RESULTS, 'notebook-browser.png'));
    await page.evaluate(() => (window as any).Jupyter.notebook.save_notebook());
    await page.waitForFunction(() => !(window as any).Jupyter.notebook.dirty, undefined, { timeout: 30_000 });
    await page.evaluate(() => (window as any).Jupyter.notebook.kernel.kill()).catch(() => undefined);

    // The saved notebook as someone else opens it: changed content, so its signature no longer matches.
    const saved = JSON.parse(fs.readFileSync(path.join(nbDir, 'browser-test.ipynb'), 'utf8'));
    saved.metadata.d2l_test = 'reopened untrusted';
    fs.writeFileSync(path.join(nbDir, 'browser-test-untrusted.ipynb'), JSON.stringify(saved));
    await page.goto(`http://127.0.0.1:${port}/notebooks/browser-test-untrusted.ipynb?token=${token}`);
    await page.waitForFunction(() => (window as any).Jupyter?.notebook?.kernel?.is_connected?.(), undefined, { timeout: 120_000 });
    check(await page.evaluate(() => (window as any).Jupyter.notebook.trusted) === false, 'the changed copy opens untrusted');
    const untrusted = await figureState(page);
    check(untrusted.images.every((n) => n === 1) && untrusted.plotly === 0,
      'untrusted: d2l architecture figure, image grid and Animator shown as SVG images (no script ran)');
    await screenshot(page, path.join(RESULTS, 'notebook-browser-untrusted.png'));
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
