/**
 * Energy and pricing: site tariffs, energy per container-hour, fiat amounts and their conversion
 * to satoshis, expected revenue from shares. Pure functions, used by accounting, curtailment and
 * the time-series points.
 */
export * from './energy.js';
export * from './expected-revenue.js';
export * from './fiat.js';
export * from './tariff.js';
