export * from './file-system';
export * from './frame-scan';
export * from './data-dir.lock';
export * from './power-loss.file-system';
