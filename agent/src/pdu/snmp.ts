import type { Values } from '@hashfleet/firmware-profiles/pdus/types';
import type { default as NetSnmp, Session, Varbind } from 'net-snmp';
import type { PduConfig } from '../config.js';
import { TransportError } from '../transport/errors.js';

/**
 * net-snmp, loaded by the first session (issue 15: an agent without PDUs never loads it, which
 * keeps it out of every start and out of the resident memory of most agents). Every other function
 * here takes a session, so it runs after the load.
 */
let snmp: typeof NetSnmp;

/** Opens a v2c or v3 session for reading (`write` selects the write community on v2c). */
export async function openSession(pdu: PduConfig, mode: 'read' | 'write'): Promise<Session> {
  snmp ??= (await import('net-snmp')).default;
  const options = { port: pdu.port, retries: 0, timeout: pdu.timeoutMs };
  if (pdu.snmp.version === '2c') {
    const community = mode === 'write' ? pdu.snmp.writeCommunity : pdu.snmp.community;
    if (!community) throw new TransportError('auth', 'no write community configured (snmp.writeCommunity)');
    return snmp.createSession(pdu.host, community.reveal(), { ...options, version: snmp.Version2c });
  }
  const s = pdu.snmp;
  return snmp.createV3Session(
    pdu.host,
    {
      name: s.user,
      level: snmp.SecurityLevel[s.level],
      authProtocol: snmp.AuthProtocols[s.authProtocol],
      authKey: s.authKey?.reveal(),
      privProtocol: snmp.PrivProtocols[s.privProtocol],
      privKey: s.privKey?.reveal(),
    },
    { ...options, version: snmp.Version3 },
  );
}

function varbindValue(vb: Varbind): number | string | null {
  if (typeof vb.value === 'number') return vb.value;
  if (Buffer.isBuffer(vb.value)) {
    // Counter64 arrives as a big-endian buffer; OCTET STRINGs as text.
    if (vb.type === snmp.ObjectType['Counter64']) return Number(vb.value.readBigUInt64BE?.(0) ?? 0);
    return vb.value.toString('utf8');
  }
  if (typeof vb.value === 'bigint') return Number(vb.value);
  return null;
}

/** Walks each subtree with GETBULK; a subtree the PDU does not have is simply empty. */
export async function walkAll(
  session: Session,
  roots: readonly string[],
  deadlineMs: number,
): Promise<Values> {
  const values: Values = new Map();
  const walkOne = (root: string) =>
    new Promise<void>((resolve, reject) => {
      session.subtree(
        root,
        32,
        (varbinds) => {
          for (const vb of varbinds) {
            if (snmp.isVarbindError(vb)) continue;
            const v = varbindValue(vb);
            if (v !== null) values.set(vb.oid, v);
          }
          return undefined;
        },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TransportError('timeout', `timeout after ${deadlineMs} ms`)),
      deadlineMs,
    );
  });
  try {
    for (const root of roots) await Promise.race([walkOne(root), deadline]);
  } catch (err) {
    if (err instanceof TransportError) throw err;
    const message = (err as Error).message;
    throw new TransportError(/timed out/i.test(message) ? 'timeout' : 'protocol', message);
  } finally {
    clearTimeout(timer);
  }
  return values;
}

/** One SET of an INTEGER; resolves when the PDU confirms it. */
export function setInteger(session: Session, oid: string, value: number): Promise<void> {
  return new Promise((resolve, reject) => {
    session.set([{ oid, type: snmp.ObjectType.Integer, value }], (err, varbinds) => {
      if (err)
        return reject(
          new TransportError(/timed out/i.test(err.message) ? 'timeout' : 'protocol', err.message),
        );
      const bad = varbinds.find((vb) => snmp.isVarbindError(vb));
      if (bad) return reject(new TransportError('protocol', snmp.varbindError(bad)));
      resolve();
    });
  });
}
