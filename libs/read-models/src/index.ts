export * from './checkpoint.store';
export * from './customer-key.store';
export * from './mongo';
export * from './projection/projection';
export * from './projections';
