/**
 * d2l's environment switches: the one place `process.env.D2L_*` is read.
 *
 * Every switch is read when it is used (`setting('D2L_NUM_THREADS')` reads the environment on each call), so a
 * test or a notebook can set one before the call it affects. An unset or empty variable means the default; any
 * other value is parsed as the table says, and a value that does not parse is an error naming the variable, the
 * expected form and the value given, rather than a silent default (a typo in `D2L_NUM_THREADS` used to mean
 * "all cores" without a word).
 *
 * `SETTINGS` also lists the variables read outside d2l's TypeScript (the install script, the C++ addon, the
 * test suites), so README's table (generated from `settingsMarkdown()`, kept equal by test/settings.test.ts)
 * names every one. This module loads nothing else: `d2l run` reads settings without TensorFlow.js.
 */
import { BACKEND_NAMES, type BackendName } from './backend/names';

/** A bad value of one of d2l's environment variables. */
export class SettingError extends Error {
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = 'SettingError';
  }
}

/** How one variable read by d2l at run time is interpreted. */
interface RuntimeSpec<T> {
  meaning: string;
  /** What leaving it unset (or empty) means. */
  unset: string;
  /** The accepted values, as documentation. */
  value: string;
  /** The modules that read it (test/settings.test.ts checks these, and only these, call `setting(name)`). */
  usedBy: string[];
  fallback: T;
  /** Parses a non-empty, trimmed value; throws a SettingError for a bad one. */
  parse(value: string, name: string): T;
}

const spec = <T>(s: RuntimeSpec<T>): RuntimeSpec<T> => s;

function bad(name: string, expected: string, value: string, hint: string): SettingError {
  return new SettingError(name, `${name} must be ${expected}, got '${value}' (${hint})`);
}

const TRUE = new Set(['1', 'true', 'on', 'yes']);
const FALSE = new Set(['0', 'false', 'off', 'no']);

const SWITCH_VALUES = '`0` or `1` (also `false`/`true`, `off`/`on`, `no`/`yes`)';

/** An on/off value; `hint` says what 0 does. */
function parseSwitch(v: string, name: string, hint: string): boolean {
  const lower = v.toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  throw bad(name, '0 or 1', v, `${hint}; unset means 1`);
}

/** An on/off switch of one of d2l's patches of TensorFlow.js (see src/ops/patches.ts). */
function patchSwitch(patch: string): RuntimeSpec<boolean> {
  return spec({
    usedBy: ['src/ops/patches.ts'],
    meaning: `\`0\` keeps tfjs' own code where the \`${patch}\` patch would replace it`,
    unset: 'on',
    value: SWITCH_VALUES,
    fallback: true,
    parse: (v, name) => parseSwitch(v, name, `0 keeps tfjs' own code instead of d2l's ${patch} patch`),
  });
}

/** A number parsed by `Number` (so `2e9` works) that passes `ok`. */
function numberSpec(s: Omit<RuntimeSpec<number | null>, 'parse' | 'fallback'> & { expected: string;
  fallback?: number | null; ok: (n: number) => boolean }): RuntimeSpec<number | null> {
  return spec<number | null>({
    ...s,
    fallback: s.fallback ?? null,
    parse(v, name) {
      const n = Number(v);
      if (!Number.isFinite(n) || !s.ok(n)) throw bad(name, s.expected, v, `${s.meaning}; unset it for ${s.unset}`);
      return n;
    },
  });
}

/** The variables d2l reads at run time. `setting(name)` reads one. */
const RUNTIME = {
  D2L_BACKEND: spec<BackendName | null>({
    meaning: 'the backend to use instead of the best one that loads',
    unset: `the first of ${BACKEND_NAMES.join(', ')} that loads`,
    value: BACKEND_NAMES.map((n) => `\`${n}\``).join(', '),
    usedBy: ['src/backend/select.ts', 'src/profiles.ts'],
    fallback: null,
    parse(v, name) {
      if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
      throw new SettingError(name, `${name}=${v} is not a backend d2l knows. Use one of: ${BACKEND_NAMES.join(', ')} ` +
        `(or unset ${name} to pick the best available automatically).`);
    },
  }),
  D2L_NUM_THREADS: numberSpec({
    meaning: "threads of the native backend's kernels (OpenMP), and `d2l bench`'s default `--threads`",
    unset: 'one per core',
    value: 'a positive integer',
    usedBy: ['src/backend/native/backend.ts', 'src/cli/bench.ts'],
    expected: 'a positive integer',
    ok: (n) => Number.isInteger(n) && n > 0,
  }),
  D2L_SEED: numberSpec({
    meaning: 'seeds every `trainCh6` run and training shuffle not given a seed of its own, so that a notebook run ' +
      'repeats on the same machine and backend (CI, grading)',
    unset: 'unseeded: each run draws its own init, dropout and shuffle',
    value: 'a non-negative integer',
    usedBy: ['src/data/fashionMnist.ts', 'src/train/trainCh6.ts'],
    expected: 'a non-negative integer',
    ok: (n) => Number.isInteger(n) && n >= 0,
  }),
  D2L_DATA_DIR: spec<string | null>({
    meaning: 'the directory searched first for the Fashion-MNIST files',
    unset: 'the download cache, then /usr/share/datasets/fashion-mnist, then a download',
    value: 'a directory',
    usedBy: ['src/data/sources.ts'],
    fallback: null,
    parse: (v) => v,
  }),
  D2L_PROFILE: spec<string | null>({
    meaning: "the profile a notebook's `auto` stands for (for clients that cannot inject parameters)",
    unset: '`book` on a GPU backend, else `cpu` (`auto` means the same)',
    value: '`book`, `cpu`, `smoke` or `auto` (checked by `resolveProfileName`)',
    usedBy: ['src/profiles.ts'],
    fallback: null,
    parse: (v) => (v === 'auto' ? null : v),
  }),
  D2L_FUSED_BATCH_NORM: patchSwitch('fused-batch-norm'),
  D2L_CONV_TRAINING: patchSwitch('conv-training'),
  D2L_ACTIVATION_GRADIENTS: patchSwitch('activation-gradients'),
  D2L_LEAN_BACKPROP: patchSwitch('lean-backprop'),
  D2L_SGD_IN_PLACE: patchSwitch('sgd-in-place'),
  D2L_NATIVE_HUGE_PAGES: spec<boolean>({
    meaning: "`0` stops the native backend's buffer pool from asking Linux for 2 MiB pages (MADV_HUGEPAGE) for its " +
      'arena and for the fresh buffers of ≥ 4 MiB it allocates outside it',
    unset: 'on (where Linux allows it; elsewhere there is nothing to ask)',
    value: SWITCH_VALUES,
    usedBy: ['src/backend/native/buffer-pool.ts'],
    fallback: true,
    parse: (v, name) => parseSwitch(v, name, '0 leaves fresh buffers on 4 KiB pages'),
  }),
  D2L_NATIVE_ARENA: spec<boolean>({
    meaning: "`0` makes the native backend's buffer pool give each large tensor an ArrayBuffer of its own, reused " +
      'only by the same size, instead of a range of its arena (reserved 4 GiB chunks), which any size reuses once ' +
      'freed',
    unset: 'on (where the chunks can be reserved; `D2L_NATIVE_POOL_MB=0` turns it off too)',
    value: SWITCH_VALUES,
    usedBy: ['src/backend/native/buffer-pool.ts'],
    fallback: true,
    parse: (v, name) => parseSwitch(v, name, '0 gives dropped buffers back to the OS and allocates fresh ones'),
  }),
  D2L_NATIVE_POOL_MB: numberSpec({
    meaning: "cap of the native backend's pool of reusable buffers, in MiB (`0` turns pooling off)",
    unset: 'no cap (the free lists, used without the arena, never hold more than the peak of live tensors plus 32 MiB)',
    value: 'a number ≥ 0',
    usedBy: ['src/backend/native/buffer-pool.ts'],
    expected: 'a number of MiB ≥ 0',
    fallback: Infinity,
    ok: (n) => n >= 0,
  }),
  D2L_MAX_STEP_BYTES: numberSpec({
    meaning: 'memory limit of one training step: larger batches are split into micro-batches',
    unset: 'wasm: 3/4 of its 4 GiB heap; other backends: no limit',
    value: 'a number of bytes > 0 (e.g. `2e9`)',
    usedBy: ['src/train/step.ts'],
    expected: 'a number of bytes > 0',
    ok: (n) => n > 0,
  }),
  D2L_NATIVE_ADDON: spec<string | null>({
    meaning: 'the compiled native addon to load instead of the built one (for tests of other builds)',
    unset: 'native/build/Release/d2l_native.node in the d2l package',
    value: 'a path to a .node file',
    usedBy: ['src/backend/native/addon.ts'],
    fallback: null,
    parse: (v) => v,
  }),
};

export type SettingName = keyof typeof RUNTIME;
export type SettingValue<K extends SettingName> = (typeof RUNTIME)[K]['fallback'];
/** The settings that switch one of d2l's patches of tfjs on or off. */
export type PatchSwitchName = { [K in SettingName]: SettingValue<K> extends boolean ? K : never }[SettingName];

/**
 * The current value of environment variable `name`, parsed (read now, not cached).
 * @throws SettingError when the variable is set to a value that does not parse.
 */
export function setting<K extends SettingName>(name: K): SettingValue<K> {
  const s = RUNTIME[name] as RuntimeSpec<SettingValue<K>>;
  const value = (process.env[name] ?? '').trim();
  return value === '' ? s.fallback : s.parse(value, name);
}

/** One documented environment variable. */
export interface SettingRow {
  name: string;
  meaning: string;
  unset: string;
  value: string;
  /** Who reads it: d2l's modules (through `setting`), or the one place outside d2l's TypeScript that does. */
  readBy: string;
}

/** Variables read outside d2l's TypeScript, documented here so that one table lists them all. */
const ELSEWHERE: SettingRow[] = [
  { name: 'D2L_SKIP_NATIVE', meaning: 'skip building the native addon at install', unset: 'build it when oneDNN is found',
    value: '`1`', readBy: 'scripts/build-native.js (the install script: runs before dist/ exists)' },
  { name: 'D2L_NATIVE_CONV_LAYOUT', meaning: "let oneDNN compute convolutions in its preferred blocked layout",
    unset: 'NHWC, as tfjs stores tensors', value: '`blocked`', readBy: 'the C++ addon (native/src/conv.cc)' },
  { name: 'D2L_REQUIRE_NATIVE', meaning: 'tests: a native backend that is not built fails its suites instead of ' +
    'leaving them pending (CI sets it)', unset: 'pending', value: '`1`', readBy: 'the test suites (test/native-helpers.ts)' },
  { name: 'D2L_REQUIRE_SANDBOX', meaning: 'tests: the grading tests fail instead of skipping when bubblewrap cannot ' +
    'run (CI sets it)', unset: 'skipped', value: '`1`', readBy: 'the test suites (test/grading*.test.ts)' },
];

/** Every environment variable d2l, its install script, its addon and its tests read. */
export const SETTINGS: readonly SettingRow[] = [
  ...(Object.entries(RUNTIME) as Array<[string, RuntimeSpec<unknown>]>).map(([name, s]) =>
    ({ name, meaning: s.meaning, unset: s.unset, value: s.value, readBy: s.usedBy.join(', ') })),
  ...ELSEWHERE,
];

/** The table of `SETTINGS` as README shows it. */
export function settingsMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return ['| variable | meaning | unset | value | read by |', '|---|---|---|---|---|',
    ...SETTINGS.map((r) => `| \`${r.name}\` | ${cell(r.meaning)} | ${cell(r.unset)} | ${cell(r.value)} | ${cell(r.readBy)} |`),
  ].join('\n');
}
