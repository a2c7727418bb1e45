/**
 * External clients: Debian's `jupyter nbconvert --to notebook --execute` runs notebooks on the d2l kernel.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { installTempKernelspec } from './kernel/harness';

const text = (v: string | string[]): string => (Array.isArray(v) ? v.join('') : v);

function notebook(cells: string[]): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'd2l', display_name: 'TypeScript (d2l)', language: 'typescript' }, language_info: { name: 'typescript' } },
    cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  };
}

describe('d2l kernel with jupyter nbconvert --execute', function () {
  this.timeout(600_000);
  let prefix: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    ({ prefix, env } = installTempKernelspec());
  });
  after(() => fs.rmSync(prefix, { recursive: true, force: true }));

  function execute(name: string, cells: string[], extra: string[] = []): { status: number | null; output: string; nb: any } {
    const input = path.join(prefix, `${name}.ipynb`);
    fs.writeFileSync(input, JSON.stringify(notebook(cells)));
    const outName = `${name}.out`;
    const r = spawnSync('/usr/bin/python3', ['-m', 'nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=120',
      '--output', outName, ...extra, input], { cwd: prefix, env, encoding: 'utf8', timeout: 300_000 });
    const outFile = path.join(prefix, `${outName}.ipynb`);
    return { status: r.status, output: `${r.stdout}\n${r.stderr}`, nb: fs.existsSync(outFile) ? JSON.parse(fs.readFileSync(outFile, 'utf8')) : null };
  }

  it('fills execution counts and outputs', () => {
    const { status, output, nb } = execute('ok', ['const n = 20;', 'console.log("n is", n);', 'n + 22']);
    assert.strictEqual(status, 0, output);
    assert.deepStrictEqual(nb.cells.map((c: any) => c.execution_count), [1, 2, 3]);
    assert.strictEqual(text(nb.cells[1].outputs[0].text), 'n is 20\n');
    assert.strictEqual(nb.cells[2].outputs[0].output_type, 'execute_result');
    assert.strictEqual(text(nb.cells[2].outputs[0].data['text/plain']), '42');
  });

  it('fails on an error cell and reports its message', () => {
    const { status, output } = execute('fail', ['const a = 1;', 'throw new Error("deliberate failure 17")', 'console.log("never")']);
    assert.notStrictEqual(status, 0);
    assert.match(output, /deliberate failure 17/);
  });

  it('with --allow-errors runs every cell after the error', () => {
    const { status, output, nb } = execute('allow', ['const a = 1;', 'throw new Error("deliberate failure 18")', 'a + 1'], ['--allow-errors']);
    assert.strictEqual(status, 0, output);
    const error = nb.cells[1].outputs.find((o: any) => o.output_type === 'error');
    assert.strictEqual(error.ename, 'Error');
    assert.strictEqual(error.evalue, 'deliberate failure 18');
    assert.strictEqual(nb.cells[2].execution_count, 3);
    assert.strictEqual(text(nb.cells[2].outputs[0].data['text/plain']), '2');
  });
});
