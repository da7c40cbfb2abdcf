export * from './capabilities.js';
export { decodeReply, splitMultiCommand } from './decoder.js';
export * from './models.js';
export * from './plausibility.js';
export { detectFirmware, getProfile, PROFILES } from './registry.js';
export * from './types.js';
