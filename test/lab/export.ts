/**
 * nbconvert's HTML export of the notebooks saved in Lab (Debian's jupyter-nbconvert), opened in the same browser:
 * the page a student mails or publishes. Its figures must be images without any script having run.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Checks } from './check';
import type { LabSession } from './session';

export async function exportedHtmlChecks(session: LabSession, checks: Checks, savedFiles: string[], outDir: string): Promise<void> {
  const dir = path.join(outDir, 'nbconvert');
  fs.mkdirSync(dir, { recursive: true });
  const page = await session.page.context().newPage();
  // the export links require.js and MathJax from CDNs; this machine is offline, so fail those requests at once
  await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  try {
    for (const file of savedFiles) {
      const name = path.basename(file, '.ipynb');
      execFileSync('/usr/bin/python3', ['-m', 'nbconvert', '--to', 'html', '--output-dir', dir, file], { stdio: ['ignore', 'ignore', 'pipe'] });
      const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
      const figures = nb.cells.flatMap((c: any) => c.outputs ?? [])
        .filter((o: any) => /<img src="data:image\/svg\+xml|class="d2l-plot"/.test(String(o.data?.['text/html'] ?? ''))).length;
      await page.goto(`file://${path.join(dir, `${name}.html`)}`, { waitUntil: 'load' });
      const shown = await page.evaluate(() => Array.from(document.querySelectorAll("img"))
        .filter((img) => img.src.startsWith('data:image/svg+xml') && img.complete && img.naturalWidth > 0).length);
      checks.ok(figures > 0 && shown >= figures, `nbconvert HTML of ${name}: every figure is an image`, `${shown} of ${figures} shown`);
      await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
    }
  } finally {
    await page.close();
  }
}
