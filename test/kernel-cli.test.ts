/**
 * `d2l kernel install | list | uninstall`: writes the kernelspec where Jupyter looks, without Python.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kernelCommand } from '../src/cli/kernel';
import { listKernelSpecs } from '../src/jupyter/kernelspec';

describe('d2l kernel install/list/uninstall', () => {
  let tmp: string;
  const saved = { data: process.env.JUPYTER_DATA_DIR, path: process.env.JUPYTER_PATH };
  let logs: string[];
  const originalLog = console.log;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-kernel-cli-'));
    process.env.JUPYTER_DATA_DIR = path.join(tmp, 'data');
    delete process.env.JUPYTER_PATH;
    logs = [];
    console.log = (...a: unknown[]) => logs.push(a.join(' '));
  });
  afterEach(() => {
    console.log = originalLog;
    for (const [k, v] of [['JUPYTER_DATA_DIR', saved.data], ['JUPYTER_PATH', saved.path]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('installs into the user data dir by default with absolute node and entry paths and logos', async () => {
    const entry = path.resolve(__dirname, '..', 'dist', 'kernel', 'main.js');
    assert.strictEqual(await kernelCommand(['install']), 0);
    const dir = path.join(tmp, 'data', 'kernels', 'd2l');
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8'));
    assert.deepStrictEqual(spec.argv, [process.execPath, entry, '{connection_file}']);
    assert.strictEqual(spec.display_name, 'TypeScript (d2l)');
    assert.strictEqual(spec.language, 'typescript');
    assert.ok(fs.statSync(path.join(dir, 'logo-64x64.png')).size > 0);
    assert.ok(fs.statSync(path.join(dir, 'logo-32x32.png')).size > 0);
    assert.ok(listKernelSpecs().some((k) => k.name === 'd2l' && k.dir === dir));
    assert.strictEqual(await kernelCommand(['list']), 0);
    assert.ok(logs.some((l) => l.includes(dir)));
    assert.strictEqual(await kernelCommand(['uninstall']), 0);
    assert.ok(!fs.existsSync(dir));
  });

  it('installs under --prefix P into P/share/jupyter/kernels/d2l', async () => {
    const prefix = path.join(tmp, 'prefix');
    assert.strictEqual(await kernelCommand(['install', '--prefix', prefix]), 0);
    assert.ok(fs.existsSync(path.join(prefix, 'share', 'jupyter', 'kernels', 'd2l', 'kernel.json')));
    process.env.JUPYTER_PATH = path.join(prefix, 'share', 'jupyter');
    assert.ok(listKernelSpecs().some((k) => k.name === 'd2l'));
  });

  it('rejects unknown options with exit code 1', async () => {
    const originalError = console.error;
    const errors: string[] = [];
    console.error = (...a: unknown[]) => errors.push(a.join(' '));
    try {
      assert.strictEqual(await kernelCommand(['install', '--bogus']), 1);
    } finally {
      console.error = originalError;
    }
    assert.match(errors.join('\n'), /unknown option '--bogus'/);
  });
});
