/**
 * Rewrites README.md's generated tables from their sources: the patch list (src/ops/patches.ts) and the
 * environment variables (src/settings.ts). test/backend-patches.test.ts and test/settings.test.ts fail when
 * README differs. Usage: npx ts-node -T scripts/readme-tables.ts [--check]
 */
import * as fs from 'fs';
import * as path from 'path';
import { patchesMarkdown } from '../src/ops/patches';
import { settingsMarkdown } from '../src/settings';

const README = path.join(__dirname, '..', 'README.md');
const TABLES: Record<string, () => string> = { patches: patchesMarkdown, settings: settingsMarkdown };

let text = fs.readFileSync(README, 'utf8');
const before = text;
for (const [name, render] of Object.entries(TABLES)) {
  const re = new RegExp(`(<!-- ${name}:begin[^>]*-->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!re.test(text)) throw new Error(`README.md has no <!-- ${name}:begin --> … <!-- ${name}:end --> section`);
  text = text.replace(re, (_m, open: string, close: string) => `${open}${render()}\n${close}`);
}
if (process.argv.includes('--check')) {
  if (text !== before) { console.error('README.md tables are out of date: run npx ts-node -T scripts/readme-tables.ts'); process.exit(1); }
} else if (text !== before) {
  fs.writeFileSync(README, text);
  console.log('README.md: tables updated');
}
