import type { Feature } from '../core/feature.js';
import { migration } from './migrations/0401_tickets.js';
import { ticketRoutes } from './routes.js';

/** Tickets: work orders for technicians, opened by the remediation ladder or a person. */
export const ticketsFeature: Feature = {
  name: 'tickets',
  migrations: [migration],
  routes: ticketRoutes,
};

export { openTicketOf, ticketForMiner } from './service.js';
