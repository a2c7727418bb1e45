/**
 * `d2l bench`'s GFLOP/s and % of peak columns: the FLOP count of a profiled training step against a hand count,
 * the peak's vector-width rule, and both training paths (trainCh6's step and tfjs' trainOnBatch) counting the
 * same FLOPs for the same model.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { loadAddon } from '../src/backend/native/addon';
import { kernelFlops, stepFlops } from '../src/bench/flops';
import { lanesFor, machinePeak, pickClock } from '../src/bench/peak';
import { runBench } from '../src/bench/run';
import { softmaxCrossEntropy } from '../src/train/step';
import { describeNative } from './native-helpers';
import { onCpuBackendInSuite } from './train-fixtures';

describe('bench: FLOPs and peak', function () {
  this.timeout(120_000);
  onCpuBackendInSuite();

  it('counts a conv + dense training step as the hand count (no input gradient for the first layer)', async () => {
    const net = tf.sequential({ layers: [
      tf.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 1] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10 })] });
    const X = tf.randomNormal([2, 8, 8, 1]);
    const y = tf.tensor1d([3, 7], 'int32');
    const optimizer = tf.train.sgd(0.01);
    const profile = await tf.profile(() => {
      optimizer.minimize(() => softmaxCrossEntropy(net.apply(X, { training: true }) as tf.Tensor, y))?.dispose();
    });
    // conv: 2 × 6·6·4 outputs × 3·3·1 MACs, forward and weight gradient; dense: 2 × 2·10 outputs × 144 MACs,
    // forward, weight gradient and input gradient (the conv below needs it).
    const conv = 2 * 2 * 6 * 6 * 4 * 9;
    const dense = 2 * 2 * 10 * 144;
    assert.equal(stepFlops(profile.kernels), 2 * conv + 3 * dense);
    tf.dispose([X, y]);
    net.dispose();
  });

  it('counts a transposed matrix product by its shared dimension', () => {
    // [5, 3]ᵀ × [5, 4] → [3, 4]: k = 5
    assert.equal(kernelFlops({ name: 'BatchMatMul', inputShapes: [[1, 5, 3], [1, 5, 4]], outputShapes: [[1, 3, 4]] }),
      2 * 3 * 4 * 5);
    assert.equal(kernelFlops({ name: 'Relu', inputShapes: [[100]], outputShapes: [[100]] }), 0);
  });

  it('takes the vector width from the ISA oneDNN uses, halving AVX-512 on Zen 4', () => {
    assert.equal(lanesFor('avx2', 'AuthenticAMD', 25), 8);
    assert.equal(lanesFor('avx512_core', 'GenuineIntel', 6), 16);
    assert.equal(lanesFor('avx512_core_bf16', 'AuthenticAMD', 25), 8);
    assert.equal(lanesFor('avx512_core_bf16', 'AuthenticAMD', 26), 16);
    assert.equal(lanesFor('sse41', 'GenuineIntel', 6), 4);
    const peak = machinePeak(2);
    assert.ok(peak.gflops > 0 && peak.ghz > 0, `peak ${peak.how}`);
    assert.equal(peak.gflops, 2 * peak.fmaPipes * 2 * peak.lanes * peak.ghz);
    assert.match(peak.how, /GHz/);
  });

  it('takes the larger of the measured and the stated clock, and says which', () => {
    const boosted = pickClock(3.7, 2.6, "/proc/cpuinfo 'cpu MHz'", 2);
    assert.equal(boosted.ghz, 3.7);
    assert.match(boosted.clock, /^measured 3\.70 GHz on 2 busy core\(s\); \/proc\/cpuinfo 'cpu MHz' says 2\.60$/);
    const slowed = pickClock(1.9, 2.6, 'cpufreq cpuinfo_max_freq', 2);
    assert.equal(slowed.ghz, 2.6);
    assert.match(slowed.clock, /^cpufreq cpuinfo_max_freq; measured 1\.90/);
    assert.deepEqual(pickClock(0, 2.6, 'os.cpus() speed', 1), { ghz: 2.6, clock: 'os.cpus() speed' });
  });

});

describeNative('bench: both training paths on the native backend', function () {
  this.timeout(180_000);

  it('measures the clock with the given number of cores busy', () => {
    const { measureClockGhz } = loadAddon();
    assert.ok(measureClockGhz, 'the built addon has the clock probe');
    const ghz = [1, 2].map((t) => measureClockGhz(t));
    if (process.arch !== 'x64') { // the probe is x86-64 assembly; elsewhere it says it cannot tell
      assert.deepEqual(ghz, [0, 0]);
      return;
    }
    for (const g of ghz) assert.ok(g > 0.3 && g < 8, `a core clock of ${g} GHz`); // an x86-64 core, not a timer fault
    // one and two busy cores: the same silicon, so within a factor 2 of each other (turbo differs; a stray load too)
    assert.ok(ghz[0] / ghz[1] < 2 && ghz[1] / ghz[0] < 2, `1 core ${ghz[0]} GHz, 2 cores ${ghz[1]} GHz`);
    assert.match(machinePeak(2).how, /measured \d\.\d\d GHz on 2 busy core/);
  });

  it('measures trainCh6\'s step and tfjs\' trainOnBatch on the same model with the same FLOPs', () => {
    const rows = runBench({ quick: true, models: ['lenet-bn'], backends: ['native'], paths: ['step', 'fit'], threads: 2,
      log: () => undefined });
    assert.deepEqual(rows.map((r) => r.path), ['step', 'fit']);
    for (const r of rows) {
      assert.ok(r.msPerStep != null && r.msPerStep > 0, `${r.path}: ${r.note}`);
      assert.ok(r.gflops != null && r.gflops > 0 && r.peakPercent != null && r.peakPercent > 0);
    }
    assert.ok(rows[0].flopsPerStep! > 0);
    assert.equal(rows[1].flopsPerStep, rows[0].flopsPerStep);
  });
});
