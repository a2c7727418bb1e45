/**
 * Writes the teacher versions of the exercise notebooks (notebooks/exercises/*.ipynb) from their Markdown sources
 * (notebooks/src/exercises/*.md; roles in ./cells.ts). `--check` only reports notebooks that differ from their
 * sources (exit 1), writing nothing.
 *
 *   npx ts-node --transpile-only scripts/exercises/build.ts [--check]
 */
import * as path from 'path';
import { serializeNotebook } from '../../src/jupyter/nbformat';
import { releaseNotebook } from '../../src/grading/assign';
import { builderMain, writeOrCheck } from '../notebooks/format';
import { listSources, readSource } from '../notebooks/source';
import { ExerciseNotebook, exerciseNotebook, toNotebook } from './cells';

const ROOT = path.resolve(__dirname, '..', '..');
export const EXERCISES_DIR = path.join(ROOT, 'notebooks', 'exercises');
export const EXERCISE_SOURCES = path.join(ROOT, 'notebooks', 'src', 'exercises');

/** Every exercise notebook, in section order. */
export const EXERCISE_NOTEBOOKS: ExerciseNotebook[] = listSources(EXERCISE_SOURCES).map((source) => {
  const file = `${path.basename(source, '.md')}.ipynb`;
  return exerciseNotebook(readSource(source, ROOT, { file }), file);
});

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

if (require.main === module) {
  process.exitCode = builderMain(process.argv.slice(2), (check) =>
    writeOrCheck(EXERCISES_DIR, renderExercises(), check, ROOT, 'npm run exercises'));
}
