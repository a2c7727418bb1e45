/** Teachers' tools: release exercise notebooks (`d2l assign`) and auto-grade submissions (`d2l grade`). */
export * from './nbgrader';
export * from './assign';
export * from './restore';
export * from './scoring';
export * from './isolation';
export * from './results';
export * from './feedback';
export * from './grade';
export * from './checks';
export * from './hidden';
export * from './sandbox';
export * from './outdir';
