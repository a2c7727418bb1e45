/**
 * Box labels for architecture figures, in the style of the book's diagrams ("3×3 Conv, 64, pad 1",
 * "3×3 MaxPool, stride 2", "Dense 4096"), computed from each layer's own configuration.
 */
import type * as tf from '@tensorflow/tfjs';

/** What kind of box a layer becomes; decides colour and whether it may fold into the box below it. */
export type NodeKind = 'input' | 'conv' | 'pool' | 'dense' | 'norm' | 'activation' | 'dropout' | 'reshape'
  | 'join' | 'block' | 'other';

type Config = Record<string, unknown>;

function pair(value: unknown): [number, number] {
  if (Array.isArray(value)) return [Number(value[0]), Number(value[value.length > 1 ? 1 : 0])];
  return [Number(value), Number(value)];
}

function square([h, w]: [number, number]): string {
  return `${h}×${w}`;
}

/** Explicit PyTorch-style padding of a ZeroPadding2D layer, as one number when symmetric. */
export function zeroPaddingOf(layer: tf.layers.Layer): number | string {
  const p = (layer.getConfig() as Config)['padding'];
  const flat = (Array.isArray(p) ? p.flat(2) : [p]).map(Number);
  return flat.every((v) => v === flat[0]) ? flat[0] : flat.join(',');
}

function paddingText(cfg: Config, kernel: [number, number], explicitPad: number | string | undefined): string {
  if (explicitPad !== undefined && explicitPad !== 0) return `, pad ${explicitPad}`;
  if (cfg['padding'] === 'same' && (kernel[0] > 1 || kernel[1] > 1)) {
    const p = (kernel[0] - 1) / 2;
    return Number.isInteger(p) ? `, pad ${p}` : ', same';
  }
  return '';
}

function strideText(cfg: Config): string {
  const [sh, sw] = pair(cfg['strides'] ?? 1);
  if (sh === 1 && sw === 1) return '';
  return sh === sw ? `, stride ${sh}` : `, stride ${sh}×${sw}`;
}

/** The activation folded into a conv/dense layer (`activation: 'relu'`), as a display name, or ''. */
export function activationName(name: unknown): string {
  if (typeof name !== 'string' || name === 'linear' || name === '') return '';
  const known: Record<string, string> = { relu: 'ReLU', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' };
  return known[name] ?? name;
}

/** Label lines and kind of a simple (non-composite) layer. `explicitPad` is a folded ZeroPadding2D. */
export function describeLayer(layer: tf.layers.Layer, explicitPad?: number | string): { lines: string[]; kind: NodeKind } {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as Config;
  const act = activationName(cfg['activation']);
  const withAct = (first: string) => (act ? [first, act] : [first]);
  switch (cls) {
    case 'Conv2D': {
      const k = pair(cfg['kernelSize']);
      return { kind: 'conv',
        lines: withAct(`${square(k)} Conv, ${cfg['filters']}${strideText(cfg)}${paddingText(cfg, k, explicitPad)}`) };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const k = pair(cfg['poolSize']);
      const name = cls === 'MaxPooling2D' ? 'MaxPool' : 'AvgPool';
      return { kind: 'pool', lines: [`${square(k)} ${name}${strideText(cfg)}${paddingText(cfg, k, explicitPad)}`] };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalAvgPool2d':
      return { kind: 'pool', lines: ['Global AvgPool'] };
    case 'GlobalMaxPooling2D':
      return { kind: 'pool', lines: ['Global MaxPool'] };
    case 'Dense':
      return { kind: 'dense', lines: withAct(`Dense ${cfg['units']}`) };
    case 'BatchNormalization':
    case 'BatchNorm':
      return { kind: 'norm', lines: ['Batch Norm'] };
    case 'ReLU':
      return { kind: 'activation', lines: ['ReLU'] };
    case 'Activation':
      return { kind: 'activation', lines: [activationName(cfg['activation']) || 'Identity'] };
    case 'Dropout':
      return { kind: 'dropout', lines: [`Dropout ${cfg['rate']}`] };
    case 'Flatten':
      return { kind: 'reshape', lines: ['Flatten'] };
    default:
      return { kind: 'other', lines: [cls] };
  }
}

/** A one-box summary of a composite layer drawn collapsed (`collapse` option). */
export function describeCollapsed(layer: tf.layers.Layer): string[] {
  const cls = layer.getClassName();
  const cfg = layer.getConfig() as Config;
  const arr = (v: unknown) => (Array.isArray(v) ? `(${v.join(', ')})` : String(v));
  switch (cls) {
    case 'Inception':
      return ['Inception', `${cfg['c1']}, ${arr(cfg['c2'])}, ${arr(cfg['c3'])}, ${cfg['c4']}`];
    case 'Residual': {
      const extras = [cfg['use1x1conv'] ? '1×1 Conv' : '', Number(cfg['strides']) > 1 ? `stride ${cfg['strides']}` : '']
        .filter((s) => s !== '');
      return [`Residual, ${cfg['numChannels']}`, ...(extras.length ? [extras.join(', ')] : [])];
    }
    case 'DenseBlock':
      return ['Dense Block', `${cfg['numConvs']} × (BN, ReLU, 3×3 Conv, ${cfg['numChannels']})`];
    default:
      return [cls];
  }
}
