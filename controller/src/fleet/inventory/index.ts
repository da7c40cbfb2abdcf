export * from './asset-code.js';
export * from './events.js';
export * from './expected.js';
export * from './mac.js';
export * from './miners.js';
export * from './sites.js';
export * from './slots.js';
export * from './types.js';
