/**
 * The kernel's op-boundary checks (kernel/interrupt.ts) in-process, at every point of a training step: an
 * interrupt stops `trainCh6` at its next step boundary, and one that must throw in the middle of a step leaves,
 * after the kernel's repair, exactly the tensors there were before the step.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { markTfjs, OpBoundaryChecks, restoreTfjs } from '../kernel/interrupt';
import { SHARED_BYTES, Slot } from '../kernel/io/shared';
import { ensureBackend, lenetBN, loadDataFashionMnist, TrainStep, trainCh6 } from '../src';

describe('kernel op-boundary checks (in process)', function () {
  this.timeout(300_000);
  const shared = new Int32Array(new SharedArrayBuffer(SHARED_BYTES));
  let checks: OpBoundaryChecks;
  /** Interrupt the running "cell" once `ops` more tfjs ops have run. */
  let interruptAfterOps = -1;

  before(async () => {
    await ensureBackend();
    // The first case checks the cooperative stop, the second the deadline (it backdates the pending interrupt);
    // a generous wait keeps a long GC pause in a big test run (CI: >1.5 s once) from turning the first into the second.
    checks = new OpBoundaryChecks(shared, undefined, 60_000);
    checks.hook();
    // A probe op counter outside the checks: counts ops and raises the interrupt at the chosen one.
    const engine = tf.engine() as any;
    const inner = engine.runKernelFunc;
    engine.runKernelFunc = function (p: unknown) {
      if (interruptAfterOps >= 0 && interruptAfterOps-- === 0) Atomics.store(shared, Slot.Interrupt, 1);
      return inner.call(this, p);
    };
    Atomics.store(shared, Slot.Running, 1);
  });
  after(() => {
    Atomics.store(shared, Slot.Running, 0);
    Atomics.store(shared, Slot.Interrupt, 0);
    interruptAfterOps = -1;
  });
  afterEach(() => {
    Atomics.store(shared, Slot.Interrupt, 0);
    interruptAfterOps = -1;
    checks.reset();
  });

  it('stops trainCh6 between two steps: KeyboardInterrupt, weights of the last whole step, no tensor left', async () => {
    const [trainIter, testIter] = await loadDataFashionMnist(32, undefined, { trainLimit: 256, testLimit: 64, seed: 2 });
    const net = lenetBN();
    await trainCh6(net, trainIter, testIter, 1, 0.5, undefined, { verbose: false, seed: 2 }); // builds, warms up
    const before = tf.memory().numTensors;
    interruptAfterOps = 1500; // somewhere in the middle of an epoch
    await assert.rejects(trainCh6(net, trainIter, testIter, 50, 0.5, undefined, { verbose: false, seed: 2 }),
      (e: Error) => e.name === 'KeyboardInterrupt' && /step boundary/.test(e.message));
    assert.equal(tf.memory().numTensors, before);
  });

  it('a step interrupted at any op leaves, after the repair, the tensors there were before it', async () => {
    const [trainIter] = await loadDataFashionMnist(16, undefined, { trainLimit: 16, testLimit: 16, seed: 3 });
    const net = lenetBN();
    const optimizer = tf.train.sgd(0.1);
    const step = new TrainStep(net, optimizer, 0.1, { log: () => undefined });
    let batch: { X: tf.Tensor; y: tf.Tensor } | undefined;
    for await (const b of trainIter) batch = b;
    await step.run(batch!.X, batch!.y); // warm up: the weights exist
    // How many ops one step runs.
    const engine = tf.engine() as any;
    let ops = 0;
    const counting = engine.runKernelFunc;
    engine.runKernelFunc = function (p: unknown) { ops++; return counting.call(this, p); };
    await step.run(batch!.X, batch!.y);
    engine.runKernelFunc = counting;
    const leaks: string[] = [];
    // An interrupt pending for longer than a loop may take to reach its step boundary: the next op throws.
    for (let k = 0; k < ops; k += Math.max(1, Math.floor(ops / 120))) {
      const before = tf.memory().numTensors;
      const mark = markTfjs();
      (checks as any).pendingSince = Date.now() - 60_000 - 1;
      interruptAfterOps = k;
      await assert.rejects(step.run(batch!.X, batch!.y), (e: Error) => e.name === 'KeyboardInterrupt');
      Atomics.store(shared, Slot.Interrupt, 0);
      restoreTfjs(mark, shared);
      const after = tf.memory().numTensors;
      if (after !== before) leaks.push(`op ${k}/${ops}: ${after - before > 0 ? '+' : ''}${after - before}`);
    }
    assert.deepEqual(leaks, [], 'tensors left by an interrupted step');
    tf.dispose([batch!.X, batch!.y]);
    optimizer.dispose();
  });
});
