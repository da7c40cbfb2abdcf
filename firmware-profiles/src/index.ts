export * from './models.js';
export * from './types.js';
