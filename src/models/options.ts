/** Options every chapter-7 model builder takes. */
export interface ModelOptions {
  /** Input height, width and channels (NHWC without the batch axis). Default: the book's size, 1 channel. */
  inputShape?: [number, number, number];
  /** Number of output classes. Default 10 (Fashion-MNIST). */
  numClasses?: number;
}

/** The options with defaults filled in and checked, so a wrong size fails here with a clear message. */
export function resolveOptions(opts: ModelOptions, defaultSize: number, model: string): Required<ModelOptions> {
  const inputShape = opts.inputShape ?? [defaultSize, defaultSize, 1];
  const numClasses = opts.numClasses ?? 10;
  if (inputShape.length !== 3 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`${model}: inputShape must be [height, width, channels] of positive integers, ` +
                    `got [${inputShape}]`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`${model}: numClasses must be a positive integer, got ${numClasses}`);
  }
  return { inputShape, numClasses };
}
