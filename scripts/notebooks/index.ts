/** Every chapter notebook, in section order. `build.ts` writes them; the tests check them. */
import { NotebookSpec } from './cells';
import { alexnetNotebook } from './7.1-alexnet';
import { vggNotebook } from './7.2-vgg';
import { ninNotebook } from './7.3-nin';
import { googlenetNotebook } from './7.4-googlenet';
import { batchNormNotebook } from './7.5-batch-norm';
import { resnetNotebook } from './7.6-resnet';
import { densenetNotebook } from './7.7-densenet';

export const NOTEBOOKS: readonly NotebookSpec[] = [
  alexnetNotebook,
  vggNotebook,
  ninNotebook,
  googlenetNotebook,
  batchNormNotebook,
  resnetNotebook,
  densenetNotebook,
];
