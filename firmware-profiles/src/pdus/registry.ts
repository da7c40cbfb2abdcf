import { PduVendorSchema } from '@hashfleet/contracts';
import { apcRpdu2 } from './apc-rpdu2.js';
import { raritanPdu2 } from './raritan-pdu2.js';
import { servertechSentry4 } from './servertech-sentry4.js';
import type { PduVendorDefinition } from './types.js';

/**
 * Every PDU vendor, one file each in this folder. Adding a vendor: its file and one line here;
 * `test/pdus.test.ts` fails for a file in this folder without its line. The id is an open string in
 * the contracts (a controller stores whatever vendor an agent names); this list is what an agent
 * and the simulator can speak, checked when their config or scenario loads.
 */
export const PDU_VENDORS = [apcRpdu2, raritanPdu2, servertechSentry4] as const;

/** The id of a vendor this build can speak. */
export type PduVendorId = (typeof PDU_VENDORS)[number]['id'];

export const PDU_VENDOR_IDS = PDU_VENDORS.map((v) => v.id) as [PduVendorId, ...PduVendorId[]];

const byId = new Map<string, PduVendorDefinition>(PDU_VENDORS.map((v) => [v.id, v]));

export const isPduVendorId = (id: string): id is PduVendorId => byId.has(id);

/** The vendor with this id; throws naming the id and the known ones when there is none. */
export function pduVendor(id: string): PduVendorDefinition {
  const v = byId.get(id);
  if (!v)
    throw new Error(
      `pdu vendor ${JSON.stringify(id)} is not registered (known: ${PDU_VENDOR_IDS.join(', ')})`,
    );
  return v;
}

// Each id must also pass the contract's pattern, or no message naming it could be published.
for (const v of PDU_VENDORS) PduVendorSchema.parse(v.id);
