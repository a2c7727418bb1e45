/** The chapter's models (§7.1–7.7), their shape walks and summaries. */
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
