import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expandArgv, findKernelSpec, jupyterDataDirs, listKernelSpecs } from '../src/jupyter/kernelspec';
import { ephemeralPortStart, freePort, newConnectionInfo, removeConnectionFile, writeConnectionFile } from '../src/jupyter/connection';
import * as net from 'net';
import {
  NotebookFormatError, parseNotebook, readNotebook, serializeNotebook, splitLines, writeFileAtomic, writeNotebook,
} from '../src/jupyter/nbformat';
import { DisplayRegistry, OutputCollector } from '../src/client/outputs';

const scratch: string[] = [];
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-jupyter-test-'));
  scratch.push(dir);
  return dir;
};
after(() => {
  for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const SAMPLE = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'd2l', display_name: 'TypeScript (d2l)', language: 'typescript' } },
  cells: [
    { cell_type: 'markdown', id: 'm1', metadata: {}, source: ['# Title\n', 'text'] },
    {
      cell_type: 'code', id: 'c1', metadata: { tags: ['parameters'] }, execution_count: 3, source: 'let a = 1;\nlet b = 2;\n',
      outputs: [
        { output_type: 'stream', name: 'stdout', text: ['x\n', 'y\n'] },
        { output_type: 'display_data', data: { 'text/plain': ['p\n', 'q'], 'application/json': { k: [1, 2] } }, metadata: {} },
      ],
    },
  ],
};

describe('nbformat', () => {
  it('reads line arrays and strings alike and keeps JSON MIME data as objects', () => {
    const nb = parseNotebook(JSON.stringify(SAMPLE));
    assert.equal(nb.cells[0].source, '# Title\ntext');
    assert.equal(nb.cells[1].source, 'let a = 1;\nlet b = 2;\n');
    const code = nb.cells[1];
    assert.ok(code.cell_type === 'code');
    assert.deepEqual(code.outputs[0], { output_type: 'stream', name: 'stdout', text: 'x\ny\n' });
    assert.ok(code.outputs[1].output_type === 'display_data');
    assert.equal(code.outputs[1].data['text/plain'], 'p\nq');
    assert.deepEqual(code.outputs[1].data['application/json'], { k: [1, 2] });
  });

  it('writes like nbformat: sorted keys, indent 1, line arrays, final newline; a round trip is byte-identical', () => {
    const text = serializeNotebook(parseNotebook(JSON.stringify(SAMPLE)));
    assert.ok(text.endsWith('}\n'));
    assert.ok(text.startsWith('{\n "cells": [\n  {\n   "cell_type": "markdown",'));
    const disk = JSON.parse(text);
    assert.deepEqual(Object.keys(disk), ['cells', 'metadata', 'nbformat', 'nbformat_minor']);
    assert.deepEqual(disk.cells[1].source, ['let a = 1;\n', 'let b = 2;\n']);
    assert.deepEqual(disk.cells[1].outputs[1].data['text/plain'], ['p\n', 'q']);
    assert.equal(serializeNotebook(parseNotebook(text)), text);
  });

  it('splits lines keeping their newline', () => {
    assert.deepEqual(splitLines('a\nb\n\nc'), ['a\n', 'b\n', '\n', 'c']);
    assert.deepEqual(splitLines(''), []);
  });

  it('rejects a file that is not JSON, naming the file and the fix', () => {
    assert.throws(() => parseNotebook('{"cells": [', 'broken.ipynb'),
      (e: Error) => e instanceof NotebookFormatError && /broken\.ipynb is not valid JSON/.test(e.message) && /re-save/.test(e.message));
  });

  it('rejects nbformat 3 and JSON that is not a notebook', () => {
    assert.throws(() => parseNotebook(JSON.stringify({ nbformat: 3, worksheets: [] }), 'old.ipynb'),
      /old\.ipynb has nbformat 3; only nbformat 4 .*nbconvert --to notebook --nbformat 4/);
    assert.throws(() => parseNotebook('[1, 2]', 'list.ipynb'), /list\.ipynb is JSON but not a notebook/);
    assert.throws(() => parseNotebook(JSON.stringify({ nbformat: 4, cells: [{ cell_type: 'widget', source: '' }] }), 'w.ipynb'),
      /w\.ipynb: cell 0 has cell_type "widget"/);
  });

  it('reports a missing file clearly', () => {
    assert.throws(() => readNotebook('/nonexistent/x.ipynb'), /\/nonexistent\/x\.ipynb: no such notebook/);
  });

  it('writes atomically: the target is replaced whole and no temp file stays behind', () => {
    const dir = tmp();
    const file = path.join(dir, 'sub', 'n.ipynb');
    writeNotebook(file, parseNotebook(JSON.stringify(SAMPLE)));
    writeFileAtomic(file, 'second');
    assert.equal(fs.readFileSync(file, 'utf8'), 'second');
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['n.ipynb']);
  });
});

describe('kernelspec lookup', () => {
  it('finds a kernelspec on JUPYTER_PATH, case-insensitively, and substitutes the connection file', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'kernels', 'MyKernel'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'kernels', 'MyKernel', 'kernel.json'),
      JSON.stringify({ argv: ['node', 'k.js', '-f', '{connection_file}', '{resource_dir}'], display_name: 'Mine', language: 'typescript', interrupt_mode: 'message', env: { A: '1' } }));
    const env = { JUPYTER_PATH: dir, HOME: dir };
    assert.equal(jupyterDataDirs(env)[0], dir);
    const spec = findKernelSpec('mykernel', env);
    assert.ok(spec);
    assert.equal(spec.displayName, 'Mine');
    assert.equal(spec.interruptMode, 'message');
    assert.deepEqual(spec.env, { A: '1' });
    assert.deepEqual(expandArgv(spec.argv, '/c.json', spec.resourceDir), ['node', 'k.js', '-f', '/c.json', path.join(dir, 'kernels', 'MyKernel')]);
    assert.ok(listKernelSpecs(env).some((k) => k.name === 'mykernel'));
    assert.equal(findKernelSpec('absent-kernel', env), undefined);
  });

  it('reports a broken kernel.json', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'kernels', 'bad'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'kernels', 'bad', 'kernel.json'), '{"argv": "not a list"}');
    assert.throws(() => findKernelSpec('bad', { JUPYTER_PATH: dir, HOME: dir }), /kernelspec 'bad' .* has no "argv" list/);
  });
});

describe('connection files', () => {
  it('gives distinct free ports and a private file with the key', async () => {
    const a = await newConnectionInfo('d2l');
    const b = await newConnectionInfo('d2l');
    const ports = [a, b].flatMap((c) => [c.shell_port, c.iopub_port, c.stdin_port, c.control_port, c.hb_port]);
    assert.equal(new Set(ports).size, 10);
    assert.equal(a.key.length, 64);
    const file = writeConnectionFile(a);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), a);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o077, 0);
    removeConnectionFile(file);
    assert.equal(fs.existsSync(file), false);
  });

  it('picks ports below the ephemeral range, which no outgoing connection can take before the kernel binds them', async function () {
    const start = ephemeralPortStart();
    if (start - 10000 < 1000) {
      this.test!.title += ` (pending: this machine's ephemeral range starts at ${start}, so freePort takes what the OS gives)`;
      this.skip();
    }
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      assert.ok(port >= 10000 && port < start, `port ${port} is not in [10000, ${start})`);
      // and it is free: something can listen on it
      await new Promise<void>((resolve, reject) => {
        const s = net.createServer().once('error', reject).listen(port, '127.0.0.1', () => s.close(() => resolve()));
      });
    }
  });
});

describe('output collection', () => {
  it('merges stream chunks, honours clear_output(wait) and updates displays by id across cells', () => {
    const displays = new DisplayRegistry();
    const first = new OutputCollector(displays);
    first.handle('stream', { name: 'stdout', text: 'a' });
    first.handle('stream', { name: 'stdout', text: 'b\n' });
    first.handle('stream', { name: 'stderr', text: 'warn\n' });
    first.handle('display_data', { data: { 'text/plain': 'v1' }, metadata: {}, transient: { display_id: 'plot' } });
    assert.deepEqual(first.outputs.map((o) => o.output_type === 'stream' ? o.text : o.output_type), ['ab\n', 'warn\n', 'display_data']);

    const second = new OutputCollector(displays);
    assert.equal(second.handle('update_display_data', { data: { 'text/plain': 'v2' }, metadata: {}, transient: { display_id: 'plot' } }), true);
    const shown = first.outputs[2];
    assert.ok(shown.output_type === 'display_data');
    assert.equal(shown.data['text/plain'], 'v2');
    assert.equal(second.outputs.length, 0);

    second.handle('stream', { name: 'stdout', text: 'old' });
    second.handle('clear_output', { wait: true });
    assert.equal(second.outputs.length, 1, 'wait=true keeps the output until the next one arrives');
    second.handle('stream', { name: 'stdout', text: 'new' });
    assert.deepEqual(second.outputs, [{ output_type: 'stream', name: 'stdout', text: 'new' }]);
    second.handle('error', { ename: 'E', evalue: 'v', traceback: ['t'] });
    assert.deepEqual(second.error, { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['t'] });
  });
});
