/**
 * The fleet, as other folders use it: ingest (agent messages into the database), the inventory
 * (sites, containers, slots, miners) and the core fleet routes, mounted by `core/routes/index.ts`.
 */
export { pruneSeen } from './ingest/dedupe.js';
export { createIngest, type Ingest } from './ingest/ingest.js';
export { importMinersCsv } from './inventory/import.js';
export { getMiner, moveMiner } from './inventory/miners.js';
export { upsertContainer } from './inventory/sites.js';
export { type Location, type MinerStatus, type Tariff, TariffSchema } from './inventory/types.js';
export { type LatestColumns, latestSelect, listColumn, type Nullable, poolOf } from './latest-row.js';
export { minerNames, NO_NAME, resolveMinerRef, withMinerNames } from './names.js';
export { getSite } from './queries.js';
export { agentRoutes } from './routes/agents.js';
export { containerRoutes } from './routes/containers.js';
export { eventRoutes } from './routes/events.js';
export { inventoryRoutes } from './routes/inventory.js';
export { minerRoutes } from './routes/miners.js';
export { MinerNameView } from './routes/schemas.js';
export { siteRoutes } from './routes/sites.js';
