/**
 * The chapter's models (§7.1–7.7), their shape walks and summaries. Importing this module also installs d2l's
 * patches of tfjs (src/ops/patches.ts), among them the model summary a notebook shows for a model.
 */
import { installPatches } from '../ops/patches';

export * from './options';
export * from './alexnet';
export * from './vgg';
export * from './nin';
export * from './googlenet';
export * from './lenet-bn';
export * from './resnet';
export * from './densenet';
export * from './shapes';
export * from './summary';

installPatches();
