/** What `d2l bench` measures: the chapter's models at the book's batch size and resize (and a quick variant). */
import type * as tf from '@tensorflow/tfjs';

export interface BenchModel {
  /** Key used by --models and by bench/torch_bench.py. */
  key: string;
  /** Display name. */
  label: string;
  /** The book's batch size and input size (§7.1–7.7). */
  batch: number;
  size: number;
  /** Reduced sizes for --quick. */
  quickBatch: number;
  quickSize: number;
  /** Builds the model for a square 1-channel input of `size` (loaded lazily: only children need tfjs). */
  build: (size: number) => tf.Sequential;
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const models = (): typeof import('../models') => require('../models');

export const BENCH_MODELS: BenchModel[] = [
  { key: 'lenet-bn', label: 'LeNet-BN', batch: 256, size: 28, quickBatch: 64, quickSize: 28,
    build: (s) => models().lenetBNConcise({ inputShape: [s, s, 1] }) },
  { key: 'alexnet', label: 'AlexNet', batch: 128, size: 224, quickBatch: 8, quickSize: 96,
    build: (s) => models().alexnet({ inputShape: [s, s, 1] }) },
  { key: 'vgg', label: 'VGG-11/4', batch: 128, size: 224, quickBatch: 8, quickSize: 64,
    build: (s) => models().vgg(models().smallConvArch, { inputShape: [s, s, 1] }) },
  { key: 'nin', label: 'NiN', batch: 128, size: 224, quickBatch: 8, quickSize: 96,
    build: (s) => models().nin({ inputShape: [s, s, 1] }) },
  { key: 'googlenet', label: 'GoogLeNet', batch: 128, size: 96, quickBatch: 8, quickSize: 64,
    build: (s) => models().googlenet({ inputShape: [s, s, 1] }) },
  { key: 'resnet18', label: 'ResNet-18', batch: 256, size: 96, quickBatch: 8, quickSize: 64,
    build: (s) => models().resnet18({ inputShape: [s, s, 1] }) },
  { key: 'densenet', label: 'DenseNet', batch: 256, size: 96, quickBatch: 8, quickSize: 64,
    build: (s) => models().densenet({ inputShape: [s, s, 1] }) },
];

/** Backends `d2l bench` knows, in the order they are reported. 'torch' is the PyTorch twin. */
export const BENCH_BACKENDS = ['native', 'wasm', 'cpu', 'torch'] as const;
export type BenchBackend = (typeof BENCH_BACKENDS)[number];

/** How a tfjs backend's step is driven: `trainCh6`'s loop, or tfjs' `compile` + `trainOnBatch` (see child.ts). */
export const BENCH_PATHS = ['step', 'fit'] as const;
export type BenchPath = (typeof BENCH_PATHS)[number];

/** One measured (or skipped) backend × model combination. */
export interface BenchResult {
  model: string;
  backend: BenchBackend;
  /** The training path (PyTorch rows: 'step', its own loop). */
  path: BenchPath;
  batch: number;
  size: number;
  threads: number;
  /** Median training-step time (ms) after warm-up; null when skipped or failed. */
  msPerStep: number | null;
  examplesPerSec: number | null;
  /** CPU time (user + system, all threads) per measured step: the work done, less sensitive than wall
   * time to other processes competing for the cores. */
  cpuMsPerStep?: number;
  /** Peak resident set size of the process that ran it (MiB). */
  peakRssMiB: number | null;
  steps: number;
  /** FLOPs of one step's convolutions and matrix products (forward and backward, ./flops.ts); PyTorch rows
   * take the count of a tfjs row of the same model and sizes (same layers). */
  flopsPerStep?: number;
  /** Achieved GFLOP/s (flopsPerStep / median step time) and its share of the machine's FP32 peak (./peak.ts). */
  gflops?: number;
  peakPercent?: number;
  /** Why it was skipped or failed, or a caveat. */
  note?: string;
}

/** The message a child prints on its last line, prefixed so stray library output cannot be mistaken for it. */
export const RESULT_PREFIX = 'D2L_BENCH_RESULT ';

/** What a child process is asked to run. */
export interface ChildJob {
  model: string;
  backend: 'native' | 'wasm' | 'cpu';
  path: BenchPath;
  batch: number;
  size: number;
  threads: number;
  warmup: number;
  steps: number;
  /** Stop measuring after this many seconds (at least one measured step). */
  budgetSec: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
