/**
 * Backend selection: order, reasons for skipped candidates, D2L_BACKEND, devices, heap info.
 * Runs on machines without tfjs-node (the reason must then say so) and with it.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs';
import { backendInfo, BACKEND_NAMES, ensureBackend, heapInfo, tryGpu, Device, WASM_HEAP_LIMIT_BYTES } from '../src/backend';
import { resetBackendSelection } from '../src/backend/select';
import { loadWasmBackend } from '../src/backend/wasm/load';

const resolvable = (id: string) => { try { require.resolve(id); return true; } catch { return false; } };

async function withEnv<T>(value: string | undefined, body: () => Promise<T>): Promise<T> {
  const saved = process.env.D2L_BACKEND;
  if (value === undefined) delete process.env.D2L_BACKEND; else process.env.D2L_BACKEND = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.D2L_BACKEND; else process.env.D2L_BACKEND = saved;
    resetBackendSelection();
  }
}

describe('backend: selection', function () {
  this.timeout(60000);
  // Leave the process as other test files expect it: automatic selection.
  after(async () => { resetBackendSelection(); await ensureBackend(); });

  it('selects the first candidate that loads, in the documented order, and is idempotent', async () => {
    await withEnv(undefined, async () => {
      const name = await ensureBackend();
      assert.equal(name, tf.getBackend());
      assert.equal(await ensureBackend(), name);
      const info = backendInfo();
      assert.equal(info.selected, name);
      assert.deepEqual(info.candidates.map((c) => c.name), [...BACKEND_NAMES]);
      const chosen = info.candidates.findIndex((c) => c.name === name);
      assert.ok(info.candidates[chosen].available);
      for (const c of info.candidates.slice(0, chosen)) {
        assert.equal(c.available, false);
        assert.ok(c.reason && c.reason.length > 10, `${c.name} was skipped without a reason`);
      }
      console.log(`      selected ${name}; ${info.candidates.map((c) => `${c.name}: ${c.available ? 'ok' : 'no'}${c.reason ? ` (${c.reason.slice(0, 90)}…)` : ''}`).join('; ')}`);
    });
  });

  it('explains why tensorflow (tfjs-node) was skipped when it is not installed', async function () {
    await withEnv(undefined, async () => {
      await ensureBackend();
      const tfc = backendInfo().candidates.find((c) => c.name === 'tensorflow')!;
      if (resolvable('@tensorflow/tfjs-node') || resolvable('@tensorflow/tfjs-node-gpu')) {
        assert.ok(tfc.available || /tfjs-node/.test(tfc.reason ?? ''));
        return;
      }
      assert.equal(tfc.available, false);
      assert.match(tfc.reason!, /Cannot find module '@tensorflow\/tfjs-node-gpu'/);
      assert.match(tfc.reason!, /Cannot find module '@tensorflow\/tfjs-node'/);
      assert.match(tfc.reason!, /libtensorflow/);
    });
  });

  it('D2L_BACKEND=cpu forces cpu', async () => {
    await withEnv('cpu', async () => {
      assert.equal(await ensureBackend(), 'cpu');
      assert.equal(tf.getBackend(), 'cpu');
      assert.equal(backendInfo().selected, 'cpu');
      assert.equal(String(tryGpu()), 'cpu:cpu:0');
    });
  });

  it('D2L_BACKEND=wasm forces wasm', async () => {
    await withEnv('wasm', async () => {
      assert.equal(await ensureBackend(), 'wasm');
      assert.equal(backendInfo().candidates.find((c) => c.name === 'wasm')?.detail, 'SIMD on, threads off (tfjs disables wasm threads in Node)');
    });
  });

  it('an unknown D2L_BACKEND fails with the list of names', async () => {
    await withEnv('cuda', async () => {
      await assert.rejects(ensureBackend(), (err: Error) => {
        assert.match(err.message, /D2L_BACKEND=cuda/);
        for (const n of BACKEND_NAMES) assert.ok(err.message.includes(n), `message lacks ${n}: ${err.message}`);
        return true;
      });
    });
  });

  it('a forced backend that cannot load fails with its reason and the available names', async () => {
    await withEnv('tensorflow', async () => {
      if (resolvable('@tensorflow/tfjs-node') || resolvable('@tensorflow/tfjs-node-gpu')) {
        assert.equal(await ensureBackend(), 'tensorflow'); // installed here: forcing it must then work
        return;
      }
      await assert.rejects(ensureBackend(), (err: Error) => {
        assert.match(err.message, /D2L_BACKEND=tensorflow/);
        assert.match(err.message, /Cannot find module/);
        assert.match(err.message, /wasm, cpu|cpu/);
        return true;
      });
    });
  });
});

describe('backend: devices and heap', function () {
  this.timeout(60000);
  before(async () => { await loadWasmBackend(); });
  after(async () => { resetBackendSelection(); await ensureBackend(); });

  it('tryGpu names backend and device, falling back to the cpu device', async () => {
    resetBackendSelection();
    const name = await ensureBackend();
    const d = tryGpu();
    assert.ok(d instanceof Device);
    assert.match(String(d), new RegExp(`^${name}:(cpu|gpu):0$`));
    const far = tryGpu(7);
    assert.equal(far.type, 'cpu');
    assert.equal(far.toString(), `${name}:cpu:0`);
  });

  it('heapInfo reports the wasm heap and its 4 GiB limit, and the heap grows with allocations', async () => {
    await tf.setBackend('wasm');
    const before = heapInfo();
    assert.equal(before.limitBytes, WASM_HEAP_LIMIT_BYTES);
    assert.ok(before.limitBytes! > 4 * 1024 ** 3 - 65536 - 1 && before.limitBytes! < 4 * 1024 ** 3);
    assert.ok(before.usedBytes! >= 16 * 1024 ** 2);
    const big = tf.zeros([before.usedBytes! / 4 + 1024]); // more floats than the heap had bytes / 4
    const after = heapInfo();
    big.dispose();
    assert.ok(after.usedBytes! > before.usedBytes!, `${after.usedBytes} should exceed ${before.usedBytes}`);
    await tf.setBackend('cpu');
    const onCpu = heapInfo();
    assert.equal(onCpu.limitBytes, null);
    assert.equal(onCpu.usedBytes, tf.memory().numBytes);
  });
});
