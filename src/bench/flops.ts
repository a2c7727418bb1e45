/**
 * FLOPs of one training step, counted from the kernels the step actually ran (`tf.profile`): every convolution
 * and matrix product of the forward pass and of both backward passes (data and weight gradients; tfjs, like
 * PyTorch, skips the first layer's input gradient). 2 FLOPs per multiply-add; batch norm, activations, pooling
 * and the update are not counted (they are memory-bound and a few percent of the FLOPs).
 */
type Shape = number[] | null;

export interface KernelShapes {
  name: string;
  inputShapes: Shape[];
  outputShapes: Shape[];
}

function size(shape: Shape): number {
  return shape == null ? 0 : shape.reduce((a, b) => a * b, 1);
}

/** Multiply-adds of a convolution from its filter [kh, kw, in, out] and the [n, oh, ow, out] side. */
function convMacs(filter: Shape, nhwOut: Shape): number {
  if (filter == null || filter.length !== 4) return 0;
  const [kh, kw, cin] = filter;
  return size(nhwOut) * kh * kw * cin;
}

/** FLOPs of one kernel call (0 for kernels that are not a convolution or a matrix product). */
export function kernelFlops(k: KernelShapes): number {
  const [a, b] = k.inputShapes;
  const out = k.outputShapes[0] ?? null;
  switch (k.name) {
    case 'Conv2D':
    case 'FusedConv2D': // inputs x, filter, …; output [n, oh, ow, out]
      return 2 * convMacs(b, out);
    case 'Conv2DBackpropInput': // inputs dy [n, oh, ow, out], filter
      return 2 * convMacs(b, a);
    case 'Conv2DBackpropFilter': { // inputs x, dy; output the filter's shape
      return 2 * convMacs(out, b);
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // [..., m, k] × [..., k, n] (either side possibly transposed): |a|·|b| / |out| = batch · k².
      if (a == null || b == null || out == null || out.length < 2) return 0;
      const batch = size(out.slice(0, -2));
      const k2 = (size(a) * size(b)) / (size(out) * batch);
      return 2 * size(out) * Math.sqrt(k2);
    }
    default:
      return 0;
  }
}

/** Total FLOPs of the kernels of one profiled step. */
export function stepFlops(kernels: KernelShapes[]): number {
  return kernels.reduce((sum, k) => sum + kernelFlops(k), 0);
}
