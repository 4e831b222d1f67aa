export * from './connection';
export * from './decider-store';
export * from './envelope';
export * from './errors';
export * from './hash-chain';
export * from './personal-data';
export * from './streams';
export * from './stream-reader';
