import { decodeReply } from '@hashfleet/firmware-profiles/decoder';

/**
 * LuxOS write commands take a session id as their first parameter (docs/reference.md §4, LuxOS docs
 * atmset): `logon` answers SESSION[0].SessionID; `logoff|<id>` ends it.
 */
export const LOGON = JSON.stringify({ command: 'logon' });
export const logoff = (sessionId: string) => JSON.stringify({ command: 'logoff', parameter: sessionId });

export function sessionIdOf(reply: string): string | null {
  const { value } = decodeReply(reply);
  const session = (value as { SESSION?: { SessionID?: unknown }[] } | null)?.SESSION?.[0]?.SessionID;
  return typeof session === 'string' && session.length > 0 ? session : null;
}
