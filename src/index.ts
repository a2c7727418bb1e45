/**
 * d2l — Dive into Deep Learning, chapter 7 (Modern CNNs), for TypeScript.
 * `import * as d2l from 'd2l'` gives what the book's `from d2l import torch as d2l` gives, in camelCase.
 */
export * from './types';
export * from './display/protocol';
export * from './backend';
// What importing d2l changed in TensorFlow.js, and whether each change is active (src/ops/patches.ts).
export { patches } from './ops/patches';
export type { PatchStatus } from './ops/patches';
export * from './data';
export * from './train';
export * from './plot';
export * from './layers';
export * from './models';
export * from './profiles';
export * from './figures';
export * from './runner/result';
// The check helpers of the exercise notebooks (visible tests; hidden ones are evaluated by `d2l grade`).
export { check, checkClose, checkShape, CheckError } from './grading/checks';
export type { CheckCloseOptions } from './grading/checks';
