/** The chapter's building blocks as tfjs layers (§7.4–7.7). */
export * from './composite';
export * from './global-avg-pool';
export * from './batch-norm';
export * from './inception';
export * from './residual';
export * from './dense-block';
