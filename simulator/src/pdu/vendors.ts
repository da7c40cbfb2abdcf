import type { Access, Column } from '@hashfleet/firmware-profiles/pdus/types';
import snmp from 'net-snmp';

/**
 * The vendors' MIB tables live with their OID tables and readers, one file per vendor in
 * firmware-profiles/src/pdus/; here only their column types and access become net-snmp's.
 */
export const snmpType = (t: Column['type']): number =>
  ({
    Integer: snmp.ObjectType.Integer,
    OctetString: snmp.ObjectType.OctetString,
    Gauge: snmp.ObjectType.Gauge,
    Unsigned32: snmp.ObjectType.Unsigned32,
  })[t];
export const snmpAccess = (a: Access): number => snmp.MaxAccess[a];
