// Shared helpers for the native backend tests: availability, seeded data, cpu-vs-native comparison.
import * as tf from '@tensorflow/tfjs';
import { registerNativeBackend } from '../src/backend/native/backend';

/** null when the native backend registered, else the loader's explanation (decided once, at load time). */
export const nativeUnavailableReason: string | null = (() => {
  try {
    registerNativeBackend();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
})();

/**
 * A suite that needs the native backend. Without the addon its tests still show, as pending, with the reason in
 * the suite's title (`this.skip()` in a first `before` hook) — unless D2L_REQUIRE_NATIVE=1 (set by .ci/run, which
 * installs libdnnl-dev): then the hook fails and so does the suite.
 */
export function describeNative(title: string, body: (this: Mocha.Suite) => void,
                               reason: string | null = nativeUnavailableReason): Mocha.Suite {
  const why = reason?.split('\n')[0];
  return describe(why === undefined ? title : `${title} (pending: ${why})`, function () {
    if (reason !== null) {
      before(function () {
        if (process.env.D2L_REQUIRE_NATIVE === '1') throw new Error(`D2L_REQUIRE_NATIVE=1 but ${reason}`);
        this.skip();
      });
    }
    body.call(this);
  });
}

/** Deterministic pseudo-random normal data (no dependence on tfjs' RNG or backend). */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return out;
}

export type Compute = () => tf.Tensor | tf.Tensor[];

/** Runs `f` on a backend and returns plain copies of all outputs. */
export async function runOn(backend: string, f: Compute): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => {
    const r = f();
    return Array.isArray(r) ? r : [r];
  });
  const data = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outs);
  return data;
}

/** Normwise relative error max|a-b| / max(max|a|, floor) (a is the cpu reference). */
export function relError(ref: Float32Array, got: Float32Array, floor = 1e-30): number {
  if (ref.length !== got.length) return Infinity;
  let diff = 0, mag = 0;
  for (let i = 0; i < ref.length; i++) {
    if (Number.isNaN(ref[i]) && Number.isNaN(got[i])) continue; // both NaN: agree
    if (ref[i] === got[i]) continue; // equal, infinities included (their difference would be NaN)
    const d = Math.abs(ref[i] - got[i]);
    if (!(d <= diff)) diff = Number.isNaN(d) ? Infinity : d;
    if (Number.isFinite(ref[i])) mag = Math.max(mag, Math.abs(ref[i]));
  }
  return diff / Math.max(mag, floor);
}

/** Asserts that every output of `f` agrees between the cpu and native backends within `tol`. */
export async function expectSameOnBackends(f: Compute, tol = 1e-4, label = ''): Promise<void> {
  const ref = await runOn('cpu', f);
  const got = await runOn('native', f);
  if (ref.length !== got.length) throw new Error(`${label}: ${ref.length} outputs on cpu, ${got.length} on native`);
  ref.forEach((r, i) => {
    const err = relError(r, got[i]);
    if (!(err <= tol)) throw new Error(`${label}: output ${i} relative error ${err.toExponential(2)} > ${tol}`);
  });
}
