/**
 * Plots: the book's `Animator` (live training curves in notebooks) and the figure bundle it is made of.
 * Importing this module also installs d2l's patches of tfjs (src/ops/patches.ts), among them the rich notebook
 * display of tensors.
 */
import { installPatches } from '../ops/patches';

export { Animator } from './animator';
export type { AnimatorOptions } from './animator';
export { figureBundle, plotlyFigure, vegaLiteSpec, renderSvg } from './figure';
export { resetPlotlyInlining } from '../display/plotly-script';
export type { Series, AxesConfig } from './figure';
export { parseFmt, parseFmts } from './style';
export type { LineStyle } from './style';

installPatches();
