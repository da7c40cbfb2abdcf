import { PDU_VENDOR_IDS, PDU_VENDORS, type PduVendorId } from '@hashfleet/firmware-profiles/pdus/registry';
import type { PduVendorDefinition } from '@hashfleet/firmware-profiles/pdus/types';
import { z } from 'zod';

/**
 * The PDU vendors this agent speaks: one file each in firmware-profiles/src/pdus/ (OID table,
 * reader, simulated MIB). A config naming any other vendor fails at load with the known ones listed.
 */
export const VENDORS = Object.fromEntries(PDU_VENDORS.map((v) => [v.id, v])) as Record<
  PduVendorId,
  PduVendorDefinition
>;

export const PduVendorIdSchema = z.enum(PDU_VENDOR_IDS, {
  error: (issue) =>
    `PDU vendor ${JSON.stringify(issue.input)} is not one this agent speaks (${PDU_VENDOR_IDS.join(', ')})`,
});

// The OID tables by their old import path (interop/agent-snmp.test.ts reads them from here).
export { apc } from '@hashfleet/firmware-profiles/pdus/apc-rpdu2';
export { raritan } from '@hashfleet/firmware-profiles/pdus/raritan-pdu2';
export type { PduVendorId };
