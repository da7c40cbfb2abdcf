export * from './events.js';
export * from './miners.js';
export * from './sites.js';
export * from './slots.js';
export * from './types.js';
