/**
 * Zero-copy `Identity` for the wasm backend.
 *
 * The engine clones every tensor a gradient will need (`keep(clone(t))`) and clones go through `Identity`. The
 * stock wasm kernel copies the data; the cpu backend shares it (tensors are immutable: kernels only write into
 * fresh outputs, and variable assignment swaps data ids). Sharing by reference count, as the wasm `Reshape`
 * kernel already does, removes ~140 full-size copies from every LeNet-BN training step.
 */
import * as tf from '@tensorflow/tfjs';
import { run, WasmBackendLike } from './kernel-utils';

function identityWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike & { incRef(dataId: object): void };
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return run(backend, 'Identity', { x });
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

/** Kernel config registered for backend 'wasm' (strings keep the stock kernel). */
export const identityConfig: tf.KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: identityWasm as unknown as tf.KernelFunc,
};
