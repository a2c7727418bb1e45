/**
 * Writes the teacher versions of the exercise notebooks (notebooks/exercises/*.ipynb) from the sources in this
 * directory. `--check` only reports notebooks that differ from their sources (exit 1), writing nothing.
 *
 *   npx ts-node --transpile-only scripts/exercises/build.ts [--check]
 */
import * as fs from 'fs';
import * as path from 'path';
import { serializeNotebook, writeFileAtomic } from '../../src/jupyter/nbformat';
import { releaseNotebook } from '../../src/grading/assign';
import { ExerciseNotebook, toNotebook } from './cells';
import { alexnetExercises } from './7.1-alexnet';
import { vggExercises } from './7.2-vgg';
import { ninExercises } from './7.3-nin';
import { googlenetExercises } from './7.4-googlenet';
import { batchNormExercises } from './7.5-batch-norm';
import { resnetExercises } from './7.6-resnet';
import { densenetExercises } from './7.7-densenet';

/** Every exercise notebook, in section order. */
export const EXERCISE_NOTEBOOKS: ExerciseNotebook[] = [
  alexnetExercises, vggExercises, ninExercises, googlenetExercises, batchNormExercises, resnetExercises, densenetExercises,
];

export const EXERCISES_DIR = path.resolve(__dirname, '..', '..', 'notebooks', 'exercises');

/** The exact bytes of each teacher notebook, keyed by file name (release-checked, so markers are balanced). */
export function renderExercises(): Map<string, string> {
  const out = new Map<string, string>();
  for (const ex of EXERCISE_NOTEBOOKS) {
    const nb = toNotebook(ex);
    releaseNotebook(nb, ex.file); // throws on unbalanced markers or bad nbgrader metadata
    out.set(ex.file, serializeNotebook(nb));
  }
  return out;
}

function main(): number {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, text] of renderExercises()) {
    const target = path.join(EXERCISES_DIR, file);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === text) continue;
    if (check) { console.error(`stale: ${target} (run scripts/exercises/build.ts)`); stale++; continue; }
    writeFileAtomic(target, text);
    console.log(`wrote ${target}`);
  }
  return stale > 0 ? 1 : 0;
}

if (require.main === module) process.exit(main());
