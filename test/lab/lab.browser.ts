/**
 * The chapter in JupyterLab, in a real browser (`npm run test:lab`, run by .ci/run).
 *
 * Builds (or takes from its cache) a JupyterLab 3.6.8 front end from npm (test/lab/app), serves it with Debian's
 * jupyterlab_server, and drives Debian's headless Chromium through playwright-core. Twice: once as a plain Lab
 * install, once with plotly's mime renderer (jupyterlab-plotly) — the same build, the renderer disabled in the
 * first session's page config. In each session every chapter notebook (smoke profile, D2L_PROFILE=smoke) runs
 * through Run All, then its saved copy is reopened untrusted; the plain session also checks completion, tooltips,
 * the stop button and kernel restart, and nbconvert's HTML export of the saved notebooks.
 *
 * Screenshots and the executed notebooks go to test-results/lab/<session>/. Exits non-zero if any check fails.
 * D2L_LAB_SESSIONS=lab (or lab-plotly) runs one session; D2L_LAB_NOTEBOOKS=7.5,7.6 a subset of notebooks.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../kernel/harness';
import { ensureLabBuild } from './build';
import { Checks } from './check';
import { reopenUntrusted, runChapterNotebook, type Variant } from './chapter';
import { exportedHtmlChecks } from './export';
import { interactiveChecks } from './interactive';
import { LabSession } from './session';

const RESULTS = path.join(ROOT, 'test-results', 'lab');
const VARIANTS: Variant[] = [{ name: 'lab', plotly: false }, { name: 'lab-plotly', plotly: true }];

function chapterNotebooks(): string[] {
  const all = fs.readdirSync(path.join(ROOT, 'notebooks')).filter((f) => /^7\.\d-.*\.ipynb$/.test(f)).sort();
  const only = (process.env.D2L_LAB_NOTEBOOKS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return only.length ? all.filter((f) => only.some((o) => f.startsWith(`${o}-`))) : all;
}

/** The kernel imports the compiled library (dist/): a stale build would test old code. */
function assertBuildFresh(): void {
  const newest = (dir: string): number => fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = path.join(dir, e.name);
    return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? fs.statSync(p).mtimeMs : 0);
  }, 0);
  const dist = path.join(ROOT, 'dist', 'src', 'index.js');
  if (!fs.existsSync(dist) || fs.statSync(dist).mtimeMs < newest(path.join(ROOT, 'src'))) {
    throw new Error('dist/ is older than src/ (notebooks import the compiled d2l): run `npm run build` first');
  }
}

async function runVariant(variant: Variant, buildDir: string, checks: Checks): Promise<void> {
  const outDir = path.join(RESULTS, variant.name);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  // Inside the checkout, so notebooks resolve d2l and tfjs from its node_modules like a student's project does.
  const rootDir = fs.mkdtempSync(path.join(RESULTS, `${variant.name}-work-`));
  const notebooks = chapterNotebooks();
  for (const nb of notebooks) fs.copyFileSync(path.join(ROOT, 'notebooks', nb), path.join(rootDir, nb));
  const started = Date.now();
  const session = await LabSession.start({ buildDir, rootDir, plotly: variant.plotly, env: { D2L_PROFILE: 'smoke' } });
  try {
    const info = await session.page.evaluate(() => (window as any).d2lLab as { version: string; mimeExtensions: string[] });
    const hasPlotly = info.mimeExtensions.includes('@jupyterlab/plotly-extension:factory');
    checks.ok(hasPlotly === variant.plotly, `${variant.name}: JupyterLab ${info.version}, plotly renderer ${hasPlotly ? 'on' : 'off'}`);
    for (const nb of notebooks) {
      await checks.group(`${variant.name}: ${nb}`, () => runChapterNotebook(session, checks, nb, rootDir, outDir, variant));
    }
    if (!variant.plotly) {
      await checks.group(`${variant.name}: completion, tooltip, stop button, restart`,
        () => interactiveChecks(session, checks, rootDir, outDir));
    }
    for (const nb of notebooks) {
      const saved = path.join(outDir, nb);
      if (!fs.existsSync(saved)) continue;
      await checks.group(`${variant.name}: ${nb} reopened untrusted`,
        () => reopenUntrusted(session, checks, saved, rootDir, outDir, variant));
    }
    if (!variant.plotly) {
      const saved = notebooks.map((nb) => path.join(outDir, nb)).filter((f) => fs.existsSync(f));
      await checks.group(`${variant.name}: nbconvert HTML export`, () => exportedHtmlChecks(session, checks, saved, outDir));
    }
  } catch (e) {
    console.error(session.serverLog());
    throw e;
  } finally {
    await session.close();
    fs.rmSync(rootDir, { recursive: true, force: true });
  }
  console.log(`# ${variant.name}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function main(): Promise<void> {
  const started = Date.now();
  assertBuildFresh();
  const build = ensureLabBuild();
  const checks = new Checks();
  const only = (process.env.D2L_LAB_SESSIONS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const variant of VARIANTS.filter((v) => only.length === 0 || only.includes(v.name))) {
    await runVariant(variant, build.dir, checks);
  }
  const total = (Date.now() - started) / 1000;
  console.log(`# JupyterLab ${build.version}; app ${build.cached ? 'from cache' : 'built'} in ${build.seconds.toFixed(0)} s; `
    + `total ${total.toFixed(0)} s; screenshots in ${path.relative(ROOT, RESULTS)}/`);
  console.log(`# ${checks.summary()}`);
  if (checks.failures.length > 0) process.exitCode = 1;
}

main().then(() => process.exit(process.exitCode ?? 0), (e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

