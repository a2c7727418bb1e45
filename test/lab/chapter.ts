/**
 * The chapter notebooks in Lab: Run All through the Run menu and check what a student sees — every cell ran without
 * an error, the architecture figures and the Animator's chart are pictures, the chart changed while training ran,
 * the results line is printed; then the saved notebook, reopened untrusted, still shows its figures as images.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Checks } from './check';
import {
  cellReports, chartSightings, closeNotebook, graphics, menu, openNotebook, renderedMimeTypes, save,
  screenshotNotebook, startChartRecorder, waitForIdle, type CellReport,
} from './notebook';
import type { LabSession } from './session';

export interface Variant {
  /** Directory name under test-results/lab/. */
  name: string;
  /** plotly's mime renderer (jupyterlab-plotly) is in the app. */
  plotly: boolean;
}

const isFigureCell = (c: CellReport) => /\bdrawArchitectures?\(/.test(c.source);
const isTrainingCell = (c: CellReport) => /\btrainCh6\(/.test(c.source);
const RUN_TIMEOUT_MS = 10 * 60_000;

/** Runs one chapter notebook; saves it and copies the executed notebook and a screenshot to `outDir`. */
export async function runChapterNotebook(session: LabSession, checks: Checks, file: string, rootDir: string,
  outDir: string, variant: Variant): Promise<void> {
  const { page } = session;
  const name = path.basename(file, '.ipynb');
  await openNotebook(page, file);
  await startChartRecorder(page);
  const started = Date.now();
  await menu(page, 'Run', /^Run All Cells$/);
  await waitForIdle(page, RUN_TIMEOUT_MS);
  const seconds = (Date.now() - started) / 1000;
  const cells = await cellReports(page);
  const notRun = cells.filter((c) => c.executionCount === null);
  checks.ok(notRun.length === 0, `${name}: Run All ran all ${cells.length} code cells`,
    notRun.length ? `not run: cells ${notRun.map((c) => c.index).join(', ')}` : `${seconds.toFixed(0)} s`);
  const errors = cells.flatMap((c) => c.errors.map((e) => `cell ${c.index}: ${e}`));
  checks.ok(errors.length === 0, `${name}: no error output`, errors.join('\n'));
  const stderr = cells.filter((c) => c.stderr).map((c) => `cell ${c.index}: ${c.stderr.slice(0, 300)}`);
  checks.ok(stderr.length === 0, `${name}: nothing on stderr`, stderr.join('\n'));

  const figures = cells.filter(isFigureCell);
  for (const c of figures) {
    const g = await graphics(page, c.index);
    checks.ok(g.svgImages >= 1, `${name}: architecture figure of cell ${c.index} is a picture`,
      `rendered as ${(await renderedMimeTypes(page, c.index)).join(', ')}; ${g.svgImages} SVG image(s) loaded`);
  }
  const sightings = await chartSightings(page);
  for (const c of cells.filter(isTrainingCell)) {
    const g = await graphics(page, c.index);
    const drawn = variant.plotly ? g.plotlyRenderer : g.plotly;
    checks.ok(drawn >= 1, `${name}: the Animator's chart of cell ${c.index} is drawn by `
      + `${variant.plotly ? "plotly's renderer" : 'plotly.js (trusted html)'}`,
      `rendered as ${(await renderedMimeTypes(page, c.index)).join(', ')}`);
    const live = sightings.filter((s) => s.cell === c.index && s.running);
    const spread = live.length ? (live[live.length - 1].t - live[0].t) / 1000 : 0;
    checks.ok(live.length >= 2, `${name}: the chart of cell ${c.index} changed while trainCh6 ran`,
      `${live.length} chart states while running, over ${spread.toFixed(1)} s; kinds: ${[...new Set(live.map((s) => s.kind))].join(', ') || '-'}`);
  }
  const result = cells.map((c) => c.text).join('\n').match(/d2l result: section 7\.\d[^\n]*/);
  checks.ok(result !== null, `${name}: the results line is printed`, result?.[0] ?? 'no "d2l result:" line');

  await screenshotNotebook(page, path.join(outDir, `${name}.png`));
  await save(page);
  await closeNotebook(page);
  fs.copyFileSync(path.join(rootDir, file), path.join(outDir, `${name}.ipynb`));
  checkSavedOutputs(checks, name, path.join(outDir, `${name}.ipynb`));
}

/**
 * What the saved file holds for viewers that run nothing (GitHub, nbviewer): each figure has a static image, and no
 * html output relies on inline <svg> (stripped by sanitizers).
 */
function checkSavedOutputs(checks: Checks, name: string, file: string): void {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  const rich = nb.cells.flatMap((c: any) => c.outputs ?? [])
    .filter((o: any) => o.output_type === 'display_data' || o.output_type === 'execute_result');
  const pictures = rich.filter((o: any) => /<img |class="d2l-plot"/.test(String(o.data['text/html'] ?? '')));
  const noImage = pictures.filter((o: any) => !o.data['image/svg+xml'] && !o.data['image/png']);
  const inlineSvg = rich.filter((o: any) => /<svg[\s>]/.test(String(o.data['text/html'] ?? '')));
  checks.ok(pictures.length > 0 && noImage.length === 0 && inlineSvg.length === 0,
    `${name}: saved figures carry a static image and no inline <svg> in html`,
    `${pictures.length} figure outputs, ${noImage.length} without image/svg+xml or image/png, ${inlineSvg.length} with inline <svg>`);
}

/** A copy of a saved notebook that Lab cannot trust (its content no longer matches the stored signature). */
export function untrustedCopy(savedFile: string, rootDir: string): string {
  const nb = JSON.parse(fs.readFileSync(savedFile, 'utf8'));
  nb.metadata.d2l_test = { reopened: 'untrusted' };
  const file = `reopened-${path.basename(savedFile)}`;
  fs.writeFileSync(path.join(rootDir, file), JSON.stringify(nb, null, 1));
  return file;
}

/** Opens a saved executed notebook untrusted (as a hand-in or a runner output is) and checks its figures. */
export async function reopenUntrusted(session: LabSession, checks: Checks, savedFile: string, rootDir: string,
  outDir: string, variant: Variant): Promise<void> {
  const { page } = session;
  const name = path.basename(savedFile, '.ipynb');
  const file = untrustedCopy(savedFile, rootDir);
  await openNotebook(page, file);
  const cells = await cellReports(page);
  const withOutputs = cells.filter((c) => c.outputs.length > 0);
  checks.ok(withOutputs.length > 0 && withOutputs.every((c) => !c.trusted), `${name} reopened: Lab does not trust its outputs`,
    `${withOutputs.filter((c) => c.trusted).length} of ${withOutputs.length} cells with outputs trusted`);
  for (const c of cells.filter(isFigureCell)) {
    const g = await graphics(page, c.index);
    checks.ok(g.svgImages >= 1, `${name} reopened untrusted: architecture figure of cell ${c.index} is an image`,
      `rendered as ${(await renderedMimeTypes(page, c.index)).join(', ')}`);
  }
  for (const c of cells.filter(isTrainingCell)) {
    const g = await graphics(page, c.index);
    const mimes = await renderedMimeTypes(page, c.index);
    // plotly's renderer stored a PNG of the chart in the notebook; it shows that until the mouse is over it
    const ok = variant.plotly ? g.plotlyRenderer + g.plotlyRendererPng >= 1 : g.svgImages >= 1;
    checks.ok(ok, `${name} reopened untrusted: the Animator's chart of cell ${c.index} is `
      + (variant.plotly ? "shown by plotly's renderer" : 'an image'), `rendered as ${mimes.join(', ')}; `
      + (variant.plotly ? `${g.plotlyRenderer} drawn, ${g.plotlyRendererPng} as its PNG` : `${g.svgImages} SVG image(s)`));
  }
  await screenshotNotebook(page, path.join(outDir, `${name}-untrusted.png`));
  await closeNotebook(page);
}
