/**
 * What a student does by hand in Lab, on a scratch notebook: Tab completion and the Shift+Tab tooltip on d2l's API,
 * the stop button on a training cell (KeyboardInterrupt, kernel still usable, variables kept), a kernel restart; and
 * the outputs the chapter notebooks do not show (a model summary, an image grid), trusted and reopened untrusted.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import type { Checks } from './check';
import { untrustedCopy } from './chapter';
import {
  cellReports, chartSightings, closeNotebook, graphics, menu, openNotebook, save, screenshotNotebook, startChartRecorder,
  waitForIdle,
} from './notebook';
import type { LabSession } from './session';

const FILE = 'lab-interactive.ipynb';
/** Seconds the stop button may take to end a training cell (issue 11 asks for 2; the page and CI add latency). */
const INTERRUPT_LIMIT_S = 5;

const CELLS = [
  "import * as tf from '@tensorflow/tfjs';\nimport * as d2l from 'd2l';",
  'await d2l.ensureBackend();\n'
    + 'const [trainIter, testIter] = await d2l.loadDataFashionMnist(256, undefined, { trainLimit: 2048, testLimit: 256 });\n'
    + 'const net = d2l.lenetBN();',
  'net', // the model summary
  "d2l.showImages(tf.linspace(0, 1, 4 * 28 * 28).reshape([4, 28, 28]), 1, 4, ['a', 'b', 'c', 'd']);",
  // long enough that only the stop button ends it within the test's time
  'await d2l.trainCh6(net, trainIter, testIter, 500, 0.9, d2l.tryGpu());',
];
const SUMMARY = 2;
const IMAGES = 3;
const TRAIN = 4;

function writeNotebook(rootDir: string): void {
  const nb = {
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: 'd2l', display_name: 'TypeScript (d2l)', language: 'typescript' } },
    cells: CELLS.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  };
  fs.writeFileSync(path.join(rootDir, FILE), JSON.stringify(nb, null, 1));
}

/** Selects cell `index` in command mode (a click on its prompt area). */
async function selectCell(page: Page, index: number): Promise<void> {
  await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell').nth(index).locator('.jp-InputPrompt').click();
  await page.keyboard.press('Escape');
}

/** Adds a cell below the last one and types `code` into it (edit mode stays on). */
async function typeNewCell(page: Page, code: string): Promise<number> {
  const count = await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell').count();
  await selectCell(page, count - 1);
  await page.keyboard.press('b');
  await page.keyboard.press('Enter');
  await page.keyboard.type(code);
  return count;
}

async function runCell(page: Page, index: number): Promise<void> {
  await selectCell(page, index);
  await page.keyboard.press('Shift+Enter');
}

/** Replaces cell `index`'s text by typing (edit mode by a click in its editor, select all, type); returns the text
 * its model then holds, so a check can say what the editor really had. */
async function retypeCell(page: Page, index: number, code: string): Promise<string> {
  await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell').nth(index).locator('.jp-InputArea-editor').click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type(code);
  return page.evaluate((i) => {
    const model = (window as any).d2lPanel.content.widgets[i].model;
    return String(model.sharedModel?.getSource?.() ?? model.value?.text ?? '');
  }, index);
}

export async function interactiveChecks(session: LabSession, checks: Checks, rootDir: string, outDir: string): Promise<void> {
  const { page } = session;
  writeNotebook(rootDir);
  await openNotebook(page, FILE);
  for (const i of [0, 1, SUMMARY, IMAGES]) await runCell(page, i);
  await waitForIdle(page, 120_000);
  await summaryAndImages(page, checks, 'trusted');

  // Tab completion
  const completeCell = await typeNewCell(page, 'd2l.tr');
  await page.keyboard.press('Tab');
  const items = page.locator('.jp-Completer .jp-Completer-item');
  await items.first().waitFor({ timeout: 30_000 }).catch(() => undefined);
  const names = (await items.allInnerTexts()).map((t) => t.trim().split(/\s+/)[0]);
  checks.ok(names.includes('trainCh6') && names.includes('transitionBlock'), 'Tab after `d2l.tr` completes d2l names',
    names.join(', ') || 'no completer');
  await page.keyboard.press('Escape');

  // Shift+Tab tooltip: signature, JSDoc and its tags. Asked up to three times, each time with the cell's text typed
  // again and read back from its model: under load the completer's Escape may land after it closed (leaving edit
  // mode), or the editor may not have the typed text yet when the key reaches the tooltip plugin (seen: a tooltip of
  // `any`, the quick info of a property on an expression that did not type-check).
  const wanted = (t: string) => /ensureBackend\(\): Promise<string>/.test(t) && /Selects and initializes the backend/.test(t)
    && /@returns/.test(t) && /@throws/.test(t);
  const tooltip = page.locator('.jp-Tooltip');
  let tip = '';
  let typed = '';
  for (let attempt = 1; attempt <= 3 && !wanted(tip); attempt++) {
    typed = await retypeCell(page, completeCell, 'd2l.ensureBackend');
    await page.waitForTimeout(500 * attempt);
    await page.keyboard.press('Shift+Tab');
    await tooltip.waitFor({ timeout: 30_000 }).catch(() => undefined);
    tip = (await tooltip.count()) ? await tooltip.innerText() : '';
    if (!wanted(tip)) console.log(`# tooltip attempt ${attempt} on ${JSON.stringify(typed)}: ${tip.slice(0, 200) || 'none'}`);
    if (await tooltip.count()) await page.keyboard.press('Escape'); // closes the tooltip; the editor keeps focus
  }
  checks.ok(wanted(tip), 'Shift+Tab shows the signature, JSDoc, @returns and @throws',
    `on ${JSON.stringify(typed)}: ${tip.slice(0, 400) || 'no tooltip'}`);
  await retypeCell(page, completeCell, 'net.countParams()');

  // The stop button on a training cell
  await startChartRecorder(page);
  await runCell(page, TRAIN);
  await page.waitForFunction(() => ((window as any).d2lCharts ?? []).length >= 2, undefined, { timeout: 120_000 })
    .catch(() => undefined);
  const chartsBefore = (await chartSightings(page)).length;
  checks.ok(chartsBefore >= 2, 'the training cell shows live chart updates before the stop button is pressed', `${chartsBefore}`);
  const clicked = Date.now();
  await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-NotebookPanel-toolbar button[data-command="kernelmenu:interrupt"]').click();
  const stopped = await page.waitForFunction(() => {
    const cell = (window as any).d2lPanel.content.widgets[4];
    return !(cell.node.querySelector('.jp-InputPrompt')?.textContent ?? '').includes('*');
  }, undefined, { timeout: 30_000, polling: 100 }).then(() => true, () => false);
  const seconds = (Date.now() - clicked) / 1000;
  const train = (await cellReports(page)).find((c) => c.index === TRAIN)!;
  checks.ok(stopped && seconds <= INTERRUPT_LIMIT_S && train.errors.some((e) => e.startsWith('KeyboardInterrupt')),
    `the stop button ends trainCh6 with KeyboardInterrupt within ${INTERRUPT_LIMIT_S} s`,
    stopped ? `${seconds.toFixed(1)} s; errors: ${train.errors.join('; ') || 'none'}` : 'still running 30 s after the click');
  if (stopped) {
    await runCell(page, completeCell);
    await waitForIdle(page, 60_000);
    const after = (await cellReports(page)).find((c) => c.index === completeCell);
    checks.ok(/^\s*\d{4,}\s*$/.test(after?.text ?? ''), 'after the interrupt the kernel runs the next cell, `net` kept',
      `net.countParams() → ${after?.text.trim() || after?.errors.join('; ')}`);
  }
  await screenshotNotebook(page, path.join(outDir, 'interrupt.png'));

  // Kernel restart (Kernel menu, confirmed in the dialog): a new kernel, counting from 1
  await menu(page, 'Kernel', /^Restart Kernel…$/);
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await page.waitForFunction(() => (window as any).d2lPanel.sessionContext.session?.kernel?.status === 'idle',
    undefined, { timeout: 120_000, polling: 250 });
  const restartCell = await typeNewCell(page, "import * as d2l from 'd2l';\n[typeof d2l.trainCh6, 1 + 1]");
  await page.keyboard.press('Shift+Enter');
  await waitForIdle(page, 60_000);
  const restarted = (await cellReports(page)).find((c) => c.index === restartCell);
  checks.ok(restarted?.executionCount === 1 && /'function', 2/.test(restarted.text),
    'Restart Kernel gives a fresh kernel that runs cells', `[${restarted?.executionCount}] ${restarted?.text.trim() || restarted?.errors.join('; ')}`);
  await save(page);
  await closeNotebook(page);

  // the saved notebook as someone else opens it
  const copy = untrustedCopy(path.join(rootDir, FILE), rootDir);
  await openNotebook(page, copy);
  const cells = await cellReports(page);
  checks.ok(cells.filter((c) => c.outputs.length > 0).every((c) => !c.trusted), 'the scratch notebook reopens untrusted');
  await summaryAndImages(page, checks, 'untrusted');
  await screenshotNotebook(page, path.join(outDir, 'interactive-untrusted.png'));
  await closeNotebook(page);
}

/** The model summary is a table (blocks' layers listed), the image grid an SVG image with its titles. */
async function summaryAndImages(page: Page, checks: Checks, trust: string): Promise<void> {
  const rows = await page.evaluate((i) => (window as any).d2lPanel.content.widgets[i].node
    .querySelectorAll('.jp-OutputArea-output table tr').length, SUMMARY);
  checks.ok(rows >= 10, `${trust}: the model summary is an HTML table`, `${rows} rows`);
  const g = await graphics(page, IMAGES);
  checks.ok(g.svgImages === 1, `${trust}: showImages is an SVG image`, `${g.svgImages} SVG image(s), ${g.images} image(s)`);
}
