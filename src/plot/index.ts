/**
 * Plots: the book's `Animator` (live training curves in notebooks) and the figure bundle it is made of.
 * Importing this module also installs the rich notebook display of tensors.
 */
import { installReprs } from '../display/repr';

export { Animator } from './animator';
export type { AnimatorOptions } from './animator';
export { figureBundle, plotlyFigure, vegaLiteSpec, renderSvg } from './figure';
export { resetPlotlyInlining } from '../display/plotly-script';
export type { Series, AxesConfig } from './figure';
export { parseFmt, parseFmts } from './style';
export type { LineStyle } from './style';

installReprs();
