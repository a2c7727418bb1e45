/**
 * Driving one notebook in the test's JupyterLab page. Actions a student takes go through Lab's UI (menus, toolbar
 * buttons, keys); what the test reads back (cell models, rendered outputs) comes from Lab's own objects and DOM.
 * Code passed to `page.evaluate` runs in the browser, where `window.d2lLab.app` is the JupyterLab application.
 */
import type { Page } from 'playwright-core';

/** One code cell as Lab holds it after a run. */
export interface CellReport {
  index: number;
  source: string;
  executionCount: number | null;
  /** nbformat output_type per output, stream outputs as `stream:<name>`. */
  outputs: string[];
  /** The error outputs' `ename: evalue`. */
  errors: string[];
  stderr: string;
  text: string;
  trusted: boolean;
}

/** A chart output seen appear in the page (each Animator update renders a new one). */
export interface ChartSighting {
  /** Index of the cell among the notebook's cells. */
  cell: number;
  /** 'plotly.js' (html + inline script), 'plotly-renderer' (jupyterlab-plotly) or 'image' (static picture). */
  kind: string;
  /** ms since the recorder was reset. */
  t: number;
  /** The cell was still running ("[*]") when the chart appeared. */
  running: boolean;
}

/** Opens a notebook as the file browser does (`docmanager:open`) and waits for its kernel to be idle. */
export async function openNotebook(page: Page, file: string, timeoutMs = 120_000): Promise<void> {
  await page.evaluate(async (path) => {
    const w = window as any;
    const panel = await w.d2lLab.app.commands.execute('docmanager:open', { path, factory: 'Notebook' });
    await panel.context.ready;
    await panel.sessionContext.ready;
    w.d2lPanel = panel;
  }, file);
  await page.waitForFunction(() => {
    const panel = (window as any).d2lPanel;
    return panel.sessionContext.session?.kernel?.status === 'idle' && panel.content.widgets.length > 0;
  }, undefined, { timeout: timeoutMs, polling: 250 });
}

/** Clicks a menu bar entry, then an item of its menu, as a user does. */
export async function menu(page: Page, top: string, item: string | RegExp): Promise<void> {
  await page.locator('.lm-MenuBar-itemLabel', { hasText: new RegExp(`^${top}$`) }).click();
  await page.locator('.lm-Menu-content .lm-Menu-itemLabel', { hasText: item }).first().click();
}

/** Waits until no cell is queued or running and the kernel is idle (stable for a second). */
export async function waitForIdle(page: Page, timeoutMs: number): Promise<void> {
  await page.waitForFunction(() => {
    const w = window as any;
    const panel = w.d2lPanel;
    const busy = panel.sessionContext.session?.kernel?.status !== 'idle'
      || [...panel.node.querySelectorAll('.jp-InputPrompt')].some((p: Element) => (p.textContent ?? '').includes('*'));
    const now = Date.now();
    if (busy) w.d2lIdleSince = undefined;
    else w.d2lIdleSince ??= now;
    return w.d2lIdleSince !== undefined && now - w.d2lIdleSince > 1000;
  }, undefined, { timeout: timeoutMs, polling: 200 });
}

/** The code cells of the open notebook as Lab's models hold them. */
export async function cellReports(page: Page): Promise<CellReport[]> {
  return page.evaluate(() => {
    const panel = (window as any).d2lPanel;
    const reports: any[] = [];
    panel.content.widgets.forEach((cell: any, index: number) => {
      if (cell.model.type !== 'code') return;
      const outputs = cell.model.outputs.toJSON() as any[];
      const join = (t: unknown) => (Array.isArray(t) ? t.join('') : String(t ?? ''));
      reports.push({
        index,
        source: cell.model.value.text,
        executionCount: cell.model.executionCount,
        outputs: outputs.map((o) => (o.output_type === 'stream' ? `stream:${o.name}` : o.output_type)),
        errors: outputs.filter((o) => o.output_type === 'error').map((o) => `${o.ename}: ${o.evalue}`),
        stderr: outputs.filter((o) => o.output_type === 'stream' && o.name === 'stderr').map((o) => join(o.text)).join(''),
        text: outputs.map((o) => (o.output_type === 'stream' ? join(o.text) : join(o.data?.['text/plain']))).join('\n'),
        trusted: cell.model.trusted,
      });
    });
    return reports;
  });
}

/** How each output of a cell was rendered: the `data-mime-type` Lab gives each rendered output. */
export async function renderedMimeTypes(page: Page, cellIndex: number): Promise<string[]> {
  return page.evaluate((i) => {
    const cell = (window as any).d2lPanel.content.widgets[i];
    return Array.from(cell.node.querySelectorAll('.jp-OutputArea-output') as NodeListOf<Element>).map((el: Element) => el.getAttribute('data-mime-type') ?? '?');
  }, cellIndex);
}

/**
 * Pictures shown by a cell: `<img>` elements that loaded (naturalWidth > 0), charts drawn by plotly.js from the html
 * part, and outputs of plotly's renderer — drawn, or showing the PNG it stored in the notebook (until hovered).
 */
export async function graphics(page: Page, cellIndex: number): Promise<{ images: number; svgImages: number; plotly: number; plotlyRenderer: number; plotlyRendererPng: number }> {
  return page.evaluate((i) => {
    const node = (window as any).d2lPanel.content.widgets[i].node as HTMLElement;
    const imgs = Array.from(node.querySelectorAll('.jp-OutputArea-output img')) as HTMLImageElement[];
    const loaded = imgs.filter((img) => img.complete && img.naturalWidth > 0);
    return {
      images: loaded.length,
      svgImages: loaded.filter((img) => img.src.startsWith('data:image/svg+xml')).length,
      plotly: node.querySelectorAll('.d2l-plot .main-svg').length,
      plotlyRenderer: node.querySelectorAll('.jp-RenderedPlotly .main-svg').length,
      plotlyRendererPng: loaded.filter((img) => img.closest('.jp-RenderedPlotly') && img.src.startsWith('data:image/png')).length,
    };
  }, cellIndex);
}

/**
 * Starts recording chart outputs as they appear: every Animator update replaces its output, so each state is a new
 * element (plotly.js chart, plotly renderer widget or static picture).
 */
export async function startChartRecorder(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as any;
    w.d2lCharts = [];
    w.d2lChartsStart = performance.now();
    if (w.d2lChartObserver) return;
    const seen = new WeakMap<Element, { kind: string }>();
    // a container is one chart state: plotly.js draws into .d2l-plot, plotly's renderer into .jp-RenderedPlotly,
    // and where no script ran (yet) the .d2l-plot shows its <img>
    const kindOf = (el: Element) => (el.querySelector('.main-svg')
      ? (el.classList.contains('d2l-plot') ? 'plotly.js' : 'plotly-renderer')
      : el.querySelector(':scope > img') ? 'image' : undefined);
    w.d2lChartObserver = new MutationObserver(() => {
      const panel = w.d2lPanel;
      if (!panel) return;
      for (const el of Array.from(panel.node.querySelectorAll('.d2l-plot, .jp-RenderedPlotly') as NodeListOf<Element>)) {
        const kind = kindOf(el);
        const known = seen.get(el);
        if (!kind || (known && known.kind === kind)) continue;
        if (known) { // the picture was seen before its script drew the chart
          known.kind = kind;
          continue;
        }
        const cellNode = el.closest('.jp-Cell');
        const cell = panel.content.widgets.findIndex((c: any) => c.node === cellNode);
        const prompt = cellNode?.querySelector('.jp-InputPrompt')?.textContent ?? '';
        const record = { cell, kind, t: performance.now() - w.d2lChartsStart, running: prompt.includes('*') };
        seen.set(el, record);
        w.d2lCharts.push(record);
      }
    });
    w.d2lChartObserver.observe(document.body, { subtree: true, childList: true });
  });
}

export async function chartSightings(page: Page): Promise<ChartSighting[]> {
  return page.evaluate(() => (window as any).d2lCharts ?? []);
}

/** Saves with the keyboard shortcut and waits until Lab says the file is clean. */
export async function save(page: Page): Promise<void> {
  await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook').first().click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+s');
  await page.waitForFunction(() => !(window as any).d2lPanel.context.model.dirty, undefined, { timeout: 30_000 });
}

/** Waits (at most 30 s) until MathJax has typeset what it was given: a callback queued after its pending work. */
async function mathTypeset(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((resolve) => {
    const hub = (window as any).MathJax?.Hub;
    if (!hub) return resolve();
    setTimeout(resolve, 30_000);
    hub.Queue(() => resolve());
  }));
}

/** A screenshot of the whole notebook: the window is made as tall as the notebook's content for the shot. */
export async function screenshotNotebook(page: Page, file: string): Promise<void> {
  await mathTypeset(page);
  const viewport = page.viewportSize() ?? { width: 1280, height: 1000 };
  const extra = await page.evaluate(() => {
    const nb = (window as any).d2lPanel.content.node as HTMLElement;
    return nb.scrollHeight - nb.clientHeight;
  });
  await page.setViewportSize({ width: viewport.width, height: Math.min(viewport.height + Math.max(0, extra), 30_000) });
  await page.waitForTimeout(500); // relayout; plotly charts resize
  await page.screenshot({ path: file });
  await page.setViewportSize(viewport);
}

/** Shuts the notebook's kernel down and closes its tab without saving again. */
export async function closeNotebook(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const w = window as any;
    const panel = w.d2lPanel;
    await panel.sessionContext.shutdown();
    panel.context.model.dirty = false;
    panel.dispose();
    w.d2lPanel = undefined;
  });
}
