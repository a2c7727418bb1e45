/** The runner's time-left estimates (src/runner/eta.ts) and the status lines of a running training cell. */
import { strict as assert } from 'assert';
import { PassThrough } from 'stream';
import type { Output } from '../src/jupyter/nbformat';
import { PROGRESS_KEY, runTimeLeft, trainingProgress, trainingTimeLeft } from '../src/runner/eta';
import { NotebookProgress } from '../src/runner/progress';

const figure = (done: number, total: number): Output => ({ output_type: 'display_data', data: { 'text/plain': 'fig' },
  metadata: { [PROGRESS_KEY]: { done, total, unit: 'epoch' } } });

describe('runner time-left estimates', () => {
  it('reads the newest training progress among the outputs', () => {
    const text: Output = { output_type: 'stream', name: 'stdout', text: 'training on native:cpu:0\n' };
    assert.equal(trainingProgress([text]), undefined);
    assert.deepEqual(trainingProgress([text, figure(1, 10), figure(2.5, 10)]), { done: 2.5, total: 10, unit: 'epoch' });
    assert.equal(trainingProgress([{ output_type: 'display_data', data: {}, metadata: { [PROGRESS_KEY]: { done: 1, total: 0 } } }]), undefined);
  });

  it('extrapolates the time left from the fraction done, not before training has measurably begun', () => {
    assert.equal(trainingTimeLeft({ done: 0.1, total: 10, unit: 'epoch' }, 60_000), undefined);
    assert.equal(trainingTimeLeft({ done: 2.5, total: 10, unit: 'epoch' }, 60_000), 180_000);
  });

  it("takes the run's time left from the finished notebooks' mean, divided among parallel jobs", () => {
    assert.equal(runTimeLeft([], 3), undefined);
    assert.equal(runTimeLeft([100, 300], 3), 600);
    assert.equal(runTimeLeft([100, 300], 3, 2), 300);
    assert.equal(runTimeLeft([100], 0), 0);
  });

  it('prints a status line with elapsed time, progress and time left for a training cell (logs: one line)', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const p = new NotebookProgress('7.6-resnet', { stream: out, runStatus: () => '2 more notebook(s), ~10m00s' });
    p.cellStart(31, 40, 'await d2l.trainCh6(net, trainIter, testIter, numEpochs, lr, d2l.tryGpu());');
    (p as any).cell.start -= 60_000; // the cell has run for a minute
    p.outputs([figure(2.5, 10)]);
    p.outputs([figure(2.6, 10)]); // within 30 s of the last line: not printed again
    p.dispose();
    await new Promise((r) => setImmediate(r));
    assert.match(text, /^7\.6-resnet: \d+\.\ds elapsed; cell 31\/40 training epoch 2\.5\/10 \(25%\), ~3m00s left; 2 more notebook\(s\), ~10m00s\n$/);
  });
});
