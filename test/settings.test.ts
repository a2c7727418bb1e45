/**
 * src/settings.ts: how each environment variable is parsed, the one error a bad value gets, that values are read
 * when used (not at import), that it is the one reader of d2l's variables, and that README's table is its table.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { setting, SettingError, SETTINGS, settingsMarkdown, SettingName } from '../src/settings';
import { ROOT } from './kernel/harness';

/** Runs `body` with the variables set (undefined: unset), then restores them. */
function withEnv<T>(vars: Record<string, string | undefined>, body: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) if (x === undefined) delete process.env[k]; else process.env[k] = x;
  };
  set(vars);
  try {
    return body();
  } finally {
    set(saved);
  }
}

const read = <K extends SettingName>(name: K, value: string | undefined) => withEnv({ [name]: value }, () => setting(name));

function rejects(name: SettingName, value: string, message: string | RegExp): void {
  assert.throws(() => read(name, value), (e: Error) => {
    assert.ok(e instanceof SettingError, `${name}=${value}: ${e}`);
    assert.equal((e as SettingError).variable, name);
    if (typeof message === 'string') assert.ok(e.message.startsWith(message), e.message); else assert.match(e.message, message);
    return true;
  });
}

describe('settings: parsing', () => {
  it('unset or empty (or blank) means the default', () => {
    for (const v of [undefined, '', '  ']) {
      assert.equal(read('D2L_NUM_THREADS', v), null);
      assert.equal(read('D2L_BACKEND', v), null);
      assert.equal(read('D2L_FUSED_BATCH_NORM', v), true);
      assert.equal(read('D2L_NATIVE_POOL_MB', v), Infinity);
      assert.equal(read('D2L_MAX_STEP_BYTES', v), null);
      assert.equal(read('D2L_DATA_DIR', v), null);
      assert.equal(read('D2L_PROFILE', v), null);
      assert.equal(read('D2L_NATIVE_ADDON', v), null);
    }
  });

  it('parses the documented forms', () => {
    assert.equal(read('D2L_NUM_THREADS', ' 3 '), 3);
    assert.equal(read('D2L_BACKEND', 'wasm'), 'wasm');
    for (const v of ['0', 'false', 'OFF', 'no']) assert.equal(read('D2L_CONV_TRAINING', v), false, v);
    for (const v of ['1', 'true', 'On', 'yes']) assert.equal(read('D2L_LEAN_BACKPROP', v), true, v);
    assert.equal(read('D2L_NATIVE_POOL_MB', '0'), 0);
    assert.equal(read('D2L_NATIVE_POOL_MB', '1.5'), 1.5);
    assert.equal(read('D2L_MAX_STEP_BYTES', '2e9'), 2e9);
    assert.equal(read('D2L_DATA_DIR', '/data/fm'), '/data/fm');
    assert.equal(read('D2L_PROFILE', 'smoke'), 'smoke');
    assert.equal(read('D2L_PROFILE', 'auto'), null); // auto: decided by the GPU, as unset
  });

  it('a bad value is one error naming the variable, the expected form and the value', () => {
    rejects('D2L_NUM_THREADS', 'x', "D2L_NUM_THREADS must be a positive integer, got 'x'");
    for (const v of ['0', '-2', '1.5', '4 cores']) rejects('D2L_NUM_THREADS', v, `D2L_NUM_THREADS must be a positive integer, got '${v}'`);
    rejects('D2L_FUSED_BATCH_NORM', 'maybe', "D2L_FUSED_BATCH_NORM must be 0 or 1, got 'maybe'");
    rejects('D2L_NATIVE_POOL_MB', '-1', "D2L_NATIVE_POOL_MB must be a number of MiB ≥ 0, got '-1'");
    rejects('D2L_MAX_STEP_BYTES', '0', "D2L_MAX_STEP_BYTES must be a number of bytes > 0, got '0'");
    rejects('D2L_MAX_STEP_BYTES', '2GB', "D2L_MAX_STEP_BYTES must be a number of bytes > 0, got '2GB'");
    // The message backend selection always gave (test/backend-select.test.ts checks it through ensureBackend).
    rejects('D2L_BACKEND', 'cuda', /^D2L_BACKEND=cuda is not a backend d2l knows\. Use one of: tensorflow, native, wasm, cpu/);
  });

  it('reads the environment at each call, not once', () => {
    withEnv({ D2L_NUM_THREADS: '2' }, () => {
      assert.equal(setting('D2L_NUM_THREADS'), 2);
      process.env.D2L_NUM_THREADS = '5';
      assert.equal(setting('D2L_NUM_THREADS'), 5);
    });
  });
});

/** The .ts/.js files under `dirs` of the repository. */
function sources(...dirs: string[]): string[] {
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'build' ? [] : walk(full);
    return /\.(ts|js|cc|sh)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [full] : [];
  });
  return dirs.flatMap((d) => (fs.existsSync(path.join(ROOT, d)) ? walk(path.join(ROOT, d)) : []));
}

const rel = (f: string) => path.relative(ROOT, f);
/** Reads of a D2L_… variable: `process.env.NAME` or `process.env['NAME']` but not an assignment, `getenv("NAME")`. */
const ENV_READ = /process\.env(?:\.(D2L_\w+)\b|\[['"](D2L_\w+)['"]\])(?!\s*=[^=])|getenv\("(D2L_\w+)"\)/g;

function envReads(files: string[]): Array<{ file: string; line: number; name: string }> {
  return files.flatMap((file) => fs.readFileSync(file, 'utf8').split('\n').flatMap((text, i) =>
    [...text.matchAll(ENV_READ)].map((m) => ({ file: rel(file), line: i + 1, name: m[1] ?? m[2] ?? m[3] }))));
}


describe('settings: the one reader', () => {
  it("d2l's runtime code (src/, kernel/, bin/) reads no D2L_ variable but through setting()", () => {
    const reads = envReads(sources('src', 'kernel', 'bin')).filter((r) => r.file !== 'src/settings.ts');
    assert.deepEqual(reads, []);
  });

  it('every D2L_ variable read anywhere is in the table, or a test harness knob of the file that reads it', () => {
    const documented = new Set(SETTINGS.map((s) => s.name));
    const harnessKnobs = /^D2L_(DEBUG_GRADS|LAB_\w+)$/; // documented at their readers in test/
    const reads = envReads(sources('src', 'kernel', 'bin', 'scripts', 'bench', 'native/src', 'test'));
    const undocumented = reads.filter((r) => !documented.has(r.name) && !harnessKnobs.test(r.name));
    assert.deepEqual(undocumented, []);
  });

  it("each runtime setting is read by the modules its row names, and by no other", () => {
    const files = sources('src', 'kernel', 'bin').filter((f) => rel(f) !== 'src/settings.ts');
    const runtime = SETTINGS.filter((s) => s.readBy.split(', ').every((u) => /^src\/\S+\.ts$/.test(u)));
    assert.ok(runtime.length >= 10, `only ${runtime.length} rows are read by src/ modules`);
    for (const row of runtime) {
      const users = row.readBy.split(', ');
      for (const u of users) {
        assert.ok(fs.readFileSync(path.join(ROOT, u), 'utf8').includes(`'${row.name}'`), `${u} does not read ${row.name}`);
      }
      const callers = files.filter((f) => fs.readFileSync(f, 'utf8').includes(`setting('${row.name}')`)).map(rel);
      for (const c of callers) assert.ok(users.includes(c), `${c} reads ${row.name} but its row names ${row.readBy}`);
    }
  });

  it("README's table of environment variables is SETTINGS (regenerate: npx ts-node -T scripts/readme-tables.ts)", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const m = /<!-- settings:begin[^>]*-->\n([\s\S]*?)\n<!-- settings:end -->/.exec(readme);
    assert.ok(m, 'README.md has no <!-- settings:begin --> … <!-- settings:end --> section');
    assert.equal(m[1], settingsMarkdown());
  });
});
