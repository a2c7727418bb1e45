/**
 * Training helpers of the book (`train_ch6`, `evaluate_accuracy_gpu`, `accuracy`, `Timer`, `Accumulator`) and
 * what they are built from. Importing this module also installs d2l's patches of tfjs (src/ops/patches.ts), among
 * them the rich notebook display of tensors.
 */
import { installPatches } from '../ops/patches';

export { Timer, Accumulator } from './timer';
export { accuracy, evaluateAccuracy } from './accuracy';
export { initWeights, collectLayers, kernelFans, ZERO_HEAD_BIAS } from './init';
export { TrainStep, measureStepBytes, softmaxCrossEntropy, formatBytes } from './step';
export type { TrainStepOptions, StepMetrics, StepBytes } from './step';
export { EpochProgress } from './progress';
export type { ProgressStream } from './progress';
export { withSeededRandom, seededRandom } from './seed';
export { trainCh6, checkTrainArgs } from './trainCh6';
export { checkStop, stoppable, KeyboardInterrupt } from './stop';
export type { StopRequests } from './stop';
export type { TrainOptions, TrainResult, EpochRecord } from './trainCh6';
export type { InitScheme } from './init';
export { installReprs, tensorBundle } from '../display/repr';

installPatches();
