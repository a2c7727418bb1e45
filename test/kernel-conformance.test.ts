/**
 * Jupyter conformance: Debian's jupyter_kernel_test (python3-jupyter-kernel-test) against our kernelspec,
 * installed with our own installer into a temporary prefix. All test methods must pass; only test_pager may skip.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { installTempKernelspec, ROOT } from './kernel/harness';

describe('d2l kernel conformance (jupyter_kernel_test)', function () {
  this.timeout(600_000);

  it('passes every jupyter_kernel_test method (pager excepted)', () => {
    const { prefix, env } = installTempKernelspec();
    try {
      const r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'kernel', 'conformance.py'), '-v'], { cwd: ROOT, env, encoding: 'utf8', timeout: 540_000 });
      const out = `${r.stdout}\n${r.stderr}`;
      assert.strictEqual(r.status, 0, out);
      const ran = /Ran (\d+) tests?/.exec(out);
      assert.ok(ran && Number(ran[1]) >= 12, out);
      const skipped = out.split('\n').filter((l) => / \.\.\. skipped/.test(l));
      assert.ok(skipped.every((l) => l.startsWith('test_pager')), `only test_pager may be skipped:\n${skipped.join('\n')}`);
      assert.match(out, /\nOK/);
    } finally {
      fs.rmSync(prefix, { recursive: true, force: true });
    }
  });
});
