import type { SlotRef } from '@hashfleet/contracts';

/** The PDU outlet that feeds a slot, from the agent's `pdus[].outlets` map; null when none is. */
export function outletForSlot(
  pdus: readonly { id: string; outlets: readonly { outlet: number; rack: string; slot: string }[] }[],
  slot: SlotRef | null,
): { pduId: string; outlet: number } | null {
  if (!slot) return null;
  for (const pdu of pdus) {
    const o = pdu.outlets.find((x) => x.rack === slot.rack && x.slot === slot.slot);
    if (o) return { pduId: pdu.id, outlet: o.outlet };
  }
  return null;
}
