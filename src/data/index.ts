/** Fashion-MNIST: reading IDX files, the book's data iterators, class names and image grids. */
export { loadDataFashionMnist, getFashionMnistLabels, FASHION_MNIST_LABELS } from './fashionMnist';
export type { FashionMnistOptions } from './fashionMnist';
export { showImages } from './showImages';
export { readIdxFile, parseIdx, IdxFormatError } from './idx';
export type { IdxArray, IdxExpectation } from './idx';
export type { SourceOptions } from './sources';
export type { DownloadOptions } from './download';
