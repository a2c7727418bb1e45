/**
 * `d2l bench`'s PyTorch column times the parity tests' twins (bench/torch_twins.py): the same models the parity
 * tests check against d2l's. Here: its model keys are d2l bench's, and each twin has the trainable parameter count
 * of the d2l model the bench trains next to it (at the --quick sizes, 1 channel, 10 classes).
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { BENCH_MODELS } from '../src/bench/specs';
import { PYTHON, torchAvailable } from './torch/harness';

const BENCH_DIR = path.resolve(__dirname, '..', 'bench');

/** Parameter counts of the twins, built as torch_bench.py builds them, after one forward at `sizes[key]`. */
function twinParameterCounts(sizes: Record<string, number>): Record<string, number> {
  const script = [
    'import json, sys, warnings, torch',
    "warnings.filterwarnings('ignore', message='Lazy modules')",
    'from torch_twins import BENCH_MODELS',
    'sizes = json.loads(sys.argv[1])',
    'out = {}',
    'for key, make in BENCH_MODELS.items():',
    '    net = make()',
    '    with torch.no_grad():',
    '        net.eval()(torch.zeros(1, 1, sizes.get(key, 28), sizes.get(key, 28)))  # materializes LazyLinear',
    '    out[key] = sum(p.numel() for p in net.parameters())',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, JSON.stringify(sizes)], { cwd: BENCH_DIR, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch_twins.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number>;
}

describe('bench: the PyTorch twins are the parity tests\' models', function () {
  this.timeout(120_000);
  before(function () {
    if (!torchAvailable()) this.skip(); // parity tests skip the same way without python3-torch
  });

  it('has one twin per d2l bench model, with the same number of parameters', () => {
    const sizes = Object.fromEntries(BENCH_MODELS.map((m) => [m.key, m.quickSize]));
    const twins = twinParameterCounts(sizes);
    assert.deepEqual(Object.keys(twins).sort(), BENCH_MODELS.map((m) => m.key).sort());
    for (const m of BENCH_MODELS) {
      const net = m.build(m.quickSize);
      try {
        // Trainable weights only: PyTorch keeps batch-norm statistics as buffers, tfjs as non-trainable weights.
        const trainable = net.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
        assert.equal(twins[m.key], trainable, `${m.key}: trainable parameters of the PyTorch twin vs d2l's model`);
      } finally {
        net.dispose();
      }
    }
  });
});
