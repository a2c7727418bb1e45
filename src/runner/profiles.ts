/**
 * The `--profile` values `d2l run` accepts. The profiles themselves (values per section, `auto` resolution) live
 * in src/profiles.ts, which the notebooks call; this list is kept separate so `d2l run` can check its arguments
 * without loading TensorFlow.js (a test checks the two agree).
 *
 * Contract with the notebooks: `--profile P` injects `profile = "P";` after the cell tagged `parameters`, which
 * declares `let profile = 'auto';`; the notebook's next cell applies the profile.
 */

/** Profiles every chapter notebook defines, plus `auto` (book on a GPU backend, cpu otherwise). */
export const PROFILE_CHOICES: readonly string[] = ['auto', 'book', 'cpu', 'smoke'];

/** Throws a clear error for a profile name that is not one of PROFILE_CHOICES. */
export function checkProfileName(profile: string): void {
  if (!PROFILE_CHOICES.includes(profile)) {
    throw new Error(`unknown profile '${profile}'; choose one of ${PROFILE_CHOICES.join(', ')} ` +
      '(book: the book\'s settings, cpu: learns visibly in minutes on a CPU, smoke: a quick CI check, auto: book on a GPU, else cpu).');
  }
}
