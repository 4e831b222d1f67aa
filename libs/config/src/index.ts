export * from './app-config';
export * from './rules';
