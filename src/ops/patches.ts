/**
 * Everything `import 'd2l'` changes in TensorFlow.js, in one table, and the one installer of those changes.
 *
 * d2l speeds up and extends tfjs code that students call directly (`tf.layers.batchNormalization()`,
 * `tf.layers.conv2d()`, `tf.grad`, `model.save('file://…')`), so some of its work has to replace or extend tfjs'
 * own objects. Each row below says what it changes, why, the environment switch that keeps tfjs' original
 * (src/settings.ts), and the test that checks it. The implementations stay in their modules; this file only
 * decides what is installed, installs it (once, at import: `installPatches()`; the wasm kernels when that
 * backend loads) and reports it (`d2l.patches()`).
 *
 * Not patches, and so not here: registering d2l's `native` backend and its kernels, d2l's layer classes, and
 * selecting a backend at import (src/backend/select.ts) use tfjs' public extension points and replace nothing.
 * The Jupyter kernel adds its own hooks for the stop button (kernel/interrupt.ts: `engine.runKernelFunc`,
 * `engine.keep`, `LayersModel.prototype.fit`/`fitDataset`); they exist only in the kernel's process.
 *
 * `targets` name each changed tfjs object the way test/backend-patches.test.ts names what differs in tfjs
 * before and after `import 'd2l'`, so the test can hold the table to exactly what is installed.
 */
import * as tf from '@tensorflow/tfjs';
import { fileRouterRegistered, registerFileRouter } from '../backend/file-io';
import { nodeBannerQuiet, quietNodeBanner } from '../backend/node-banner';
import { installWasmPatches, WASM_PATCHED_KERNELS, wasmPatchesInstalled } from '../backend/wasm/patches';
import { MIME_BUNDLE } from '../display/protocol';
import { installReprs, reprsInstalled } from '../display/repr';
import { installModelRepr } from '../models/summary';
import { PatchSwitchName, setting } from '../settings';
import { activationGradientsInstalled, installActivationGradients } from './activation-gradients';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from './batch-norm-training';
import { convTrainingEnabled, convTrainingInstalled, installConvTraining } from './conv-training';
import { fusedBatchNormEnabled, fusedBatchNormInstalled, installFusedBatchNorm } from './keras-batch-norm';
import { installLeanGradients, leanGradientsInstalled } from './lean-gradients';
import { installSgdInPlace, sgdInPlaceInstalled } from './sgd-in-place';

/** When a patch is installed: at import, or when the wasm backend loads (its stock kernels exist only then). */
export type PatchTime = 'import' | 'wasm';

/** One row of the table. */
export interface Patch {
  name: string;
  /** The tfjs code it replaces, or what it adds. */
  replaces: string;
  why: string;
  /** The setting whose `0` keeps tfjs' original, or null for a patch that is always installed. */
  switch: PatchSwitchName | null;
  /** The test file that checks the patch (for a replacement: that it gives tfjs' results). */
  test: string;
  when: PatchTime;
  /** What it changes in tfjs, named as test/backend-patches.test.ts names differences. */
  targets: string[];
  install(): void;
  /** Whether it is in place in tfjs now. */
  installed(): boolean;
  /** Why an installed patch does nothing now (turned off at run time), else null. */
  turnedOff?(): string | null;
}

const MIME = String(MIME_BUNDLE);
const kernels = (backend: string, names: string[]) => names.map((n) => `kernel:${backend}/${n}`);

/** The patches, in installation order. */
export const PATCHES: readonly Patch[] = [
  {
    name: 'file-router',
    replaces: 'nothing: adds `file://` save and load routers to `tf.io`',
    why: '`model.save(\'file://dir\')` and `tf.loadLayersModel(\'file://…\')` without tfjs-node (pure tfjs has only ' +
      'http(s) in Node); steps aside when tfjs-node\'s router is there',
    switch: null,
    test: 'test/backend-io.test.ts',
    when: 'import',
    targets: ['io:file://'],
    install: registerFileRouter,
    installed: fileRouterRegistered,
  },
  {
    name: 'tensor-repr',
    replaces: `nothing: adds \`tf.Tensor.prototype[${MIME}]\``,
    why: 'a tensor as the last value of a notebook cell shows as a table',
    switch: null,
    test: 'test/plot.test.ts',
    when: 'import',
    targets: [`Tensor.prototype[${MIME}]`],
    install: installReprs,
    installed: reprsInstalled,
  },
  {
    name: 'model-repr',
    replaces: `nothing: adds \`tf.LayersModel.prototype[${MIME}]\``,
    why: 'a model as the last value of a notebook cell shows its summary as a table',
    switch: null,
    test: 'test/models.test.ts',
    when: 'import',
    targets: [`LayersModel.prototype[${MIME}]`],
    install: installModelRepr,
    installed: () => Object.prototype.hasOwnProperty.call(tf.LayersModel.prototype, MIME_BUNDLE),
  },
  {
    name: 'fused-batch-norm',
    replaces: '`BatchNormalization.prototype.call` (tfjs-layers), in training mode with the channel axis last; ' +
      `adds kernels \`${BATCH_NORM_TRAINING}\`/\`${BATCH_NORM_TRAINING_GRAD}\` for cpu and wasm and their gradient`,
    why: "one kernel instead of tf.moments + tf.batchNorm, whose ~25-op gradient was half of ResNet's and " +
      "DenseNet's step time and most of their peak memory",
    switch: 'D2L_FUSED_BATCH_NORM',
    test: 'test/batch-norm-training.test.ts',
    when: 'import',
    targets: ['BatchNormalization.prototype.call', `gradient:${BATCH_NORM_TRAINING}`,
      ...kernels('cpu', [BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD]),
      ...kernels('wasm', [BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD])],
    install: installFusedBatchNorm,
    installed: fusedBatchNormInstalled,
    turnedOff: () => (fusedBatchNormEnabled() ? null : 'turned off by useFusedBatchNorm(false)'),
  },
  {
    name: 'activation-gradients',
    replaces: "the registered gradients of `Relu` and `Sigmoid` (tfjs-core's)",
    why: "one native kernel each instead of tfjs' 2 and 3 full-size passes (ReLU's pair was a fifth of VGG's " +
      "step); the same formulas where the backend lacks the kernel",
    switch: 'D2L_ACTIVATION_GRADIENTS',
    test: 'test/native-elementwise.test.ts',
    when: 'import',
    targets: ['gradient:Relu', 'gradient:Sigmoid'],
    install: installActivationGradients,
    installed: activationGradientsInstalled,
  },
  {
    name: 'conv-training',
    replaces: '`Conv2D.prototype.call` (tfjs-layers), under a gradient tape; adds a gradient for `FusedConv2D` ' +
      '(tfjs has none: `tf.fused.conv2d` differentiates itself)',
    why: 'conv + bias (+ ReLU) as one kernel whose input, filter and bias gradients are each computed only if ' +
      "needed (tfjs' fused path computes the data's gradient too, its unfused one runs the bias add and the ReLU " +
      'as extra passes and keeps one more activation)',
    switch: 'D2L_CONV_TRAINING',
    test: 'test/conv-training.test.ts',
    when: 'import',
    targets: ['Conv2D.prototype.call', `gradient:${tf.FusedConv2D}`],
    install: installConvTraining,
    installed: convTrainingInstalled,
    turnedOff: () => (convTrainingEnabled() ? null : 'turned off by useConvTraining(false)'),
  },
  {
    name: 'lean-backprop',
    replaces: "`tf.engine().gradients`: tfjs' backward pass (behind tf.grad, tf.grads, optimizer.minimize)",
    why: "frees each node's saved tensors and consumed gradients as it goes, as PyTorch does: ResNet-18's peak " +
      'was 3x PyTorch\'s with all of them alive until the end',
    switch: 'D2L_LEAN_BACKPROP',
    test: 'test/lean-gradients.test.ts',
    when: 'import',
    targets: ['engine.gradients'],
    install: installLeanGradients,
    installed: leanGradientsInstalled,
  },
  {
    name: 'sgd-in-place',
    replaces: "`SGDOptimizer.prototype.applyGradients` (tfjs-core's; behind `tf.train.sgd`, `fit`, `trainOnBatch`), " +
      'on the native backend for weights whose storage nothing else shares',
    why: 'w −= lr·g in the weight\'s own buffer instead of two fresh weight-sized ones per step: their ArrayBuffers ' +
      "set off V8's full heap marking about once a step, a third of GoogLeNet's step in a notebook kernel",
    switch: 'D2L_SGD_IN_PLACE',
    test: 'test/sgd-in-place.test.ts',
    when: 'import',
    targets: ['SGD.prototype.applyGradients'], // tf.SGDOptimizer, by its serialization name
    install: installSgdInPlace,
    installed: sgdInPlaceInstalled,
  },
  {
    name: 'quiet-node-banner',
    replaces: "the cpu backend's registered factory (tfjs-backend-cpu), wrapped to clear each instance's `firstUse`",
    why: 'tfjs prints "Hi, looks like you are running TensorFlow.js in Node.js" to stderr on the cpu backend\'s ' +
      'first tensor; d2l already picked the best backend, and graders fail cells that write to stderr',
    switch: null,
    test: 'test/backend-import.test.ts',
    when: 'import',
    targets: ['backend:cpu.factory'],
    install: quietNodeBanner,
    installed: nodeBannerQuiet,
  },
  {
    name: 'wasm-kernels',
    replaces: `the wasm backend's kernels ${WASM_PATCHED_KERNELS.map((k) => `\`${k.kernelName}\``).join(', ')} ` +
      '(tfjs-backend-wasm; it has no `Conv2DBackpropFilter`)',
    why: 'stock wasm cannot train a conv net (no filter gradient, a MaxPoolGrad wrong for windows of values ≤ 0); ' +
      'its input and pool gradients, Tile and transposed BatchMatMul are slow loops, and its Identity copies',
    switch: null,
    test: 'test/backend-grad.test.ts',
    when: 'wasm',
    targets: kernels('wasm', WASM_PATCHED_KERNELS.map((k) => k.kernelName)),
    install: installWasmPatches,
    installed: wasmPatchesInstalled,
  },
];

/** Patches that ran `install()` / that their switch kept out, by name. */
const installedByUs = new Set<string>();
const switchedOff = new Set<string>();

/**
 * Installs the patches of `when` that are not installed yet and whose switch is on (read now). d2l calls
 * `installPatches()` when it is imported, and `installPatches('wasm')` when the wasm backend loads.
 * @throws SettingError for a switch set to a value that is not 0 or 1.
 */
export function installPatches(when: PatchTime = 'import'): void {
  for (const p of PATCHES) {
    if (p.when !== when || installedByUs.has(p.name) || switchedOff.has(p.name)) continue;
    if (p.switch !== null && !setting(p.switch)) {
      switchedOff.add(p.name);
      continue;
    }
    p.install();
    installedByUs.add(p.name);
  }
}

/** What `d2l.patches()` says about one patch. */
export interface PatchStatus {
  name: string;
  replaces: string;
  why: string;
  switch: string | null;
  test: string;
  when: PatchTime;
  /** What it changes in tfjs (the row's `targets`). */
  changes: string[];
  /** True when the patch is installed and switched on. */
  active: boolean;
  /** Why it is not active. */
  reason?: string;
}

function inactiveReason(p: Patch): string {
  if (switchedOff.has(p.name)) return `${p.switch}=0 when d2l installed its patches: tfjs' own code runs`;
  if (installedByUs.has(p.name)) return 'removed after d2l installed it: tfjs\' own code runs';
  if (p.when === 'wasm') return 'installed when the wasm backend loads; it has not loaded in this process';
  return 'not installed yet';
}

/** Each of d2l's patches of TensorFlow.js, and whether it is active now (and why not). */
export function patches(): PatchStatus[] {
  return PATCHES.map((p) => {
    const row = { name: p.name, replaces: p.replaces, why: p.why, switch: p.switch, test: p.test, when: p.when,
      changes: [...p.targets] };
    const off = p.installed() ? (p.turnedOff?.() ?? null) : inactiveReason(p);
    return off === null ? { ...row, active: true } : { ...row, active: false, reason: off };
  });
}

/** The table as README shows it. */
export function patchesMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return ['| patch | replaces | why | off with | checked by |', '|---|---|---|---|---|',
    ...PATCHES.map((p) => `| \`${p.name}\`${p.when === 'wasm' ? ' (when wasm loads)' : ''} | ${cell(p.replaces)} | ` +
      `${cell(p.why)} | ${p.switch ? `\`${p.switch}=0\`` : '—'} | \`${p.test}\` |`),
  ].join('\n');
}
