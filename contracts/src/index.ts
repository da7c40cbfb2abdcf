export * from './commands.js';
export * from './common.js';
export * from './decode.js';
export * from './examples.js';
export * from './messages.js';
export * from './miner-sample.js';
export * from './safety.js';
export * from './topics.js';
