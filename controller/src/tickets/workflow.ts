/** Ticket states and the moves between them; pure. */
export const TICKET_STATES = ['open', 'in_progress', 'done'] as const;
export type TicketState = (typeof TICKET_STATES)[number];

/**
 * Done is final: work that comes back is a new ticket, so a ticket's history stays one job (and
 * the ladder knows a done ticket means a person has been and gone). Handing back (in_progress ->
 * open) is allowed: the technician could not do it.
 */
const MOVES: Record<TicketState, readonly TicketState[]> = {
  open: ['in_progress', 'done'],
  in_progress: ['open', 'done'],
  done: [],
};

/** Why a ticket may not move from `from` to `to`, or null when it may (staying put is fine). */
export function refuseMove(from: TicketState, to: TicketState): string | null {
  if (from === to || MOVES[from].includes(to)) return null;
  return from === 'done'
    ? 'is done; open a new ticket for new work'
    : `cannot go from ${from} to ${to} (allowed: ${MOVES[from].join(', ')})`;
}
