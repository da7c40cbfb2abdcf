import type { ControlOperation } from '@hashfleet/firmware-profiles';
import { decodeReply } from '@hashfleet/firmware-profiles/decoder';

/**
 * Whether a reply shows success, per the operation's `expect`: cgminer `STATUS[0].STATUS` S or I,
 * btminer's bare `STATUS: "S"`, or v3 `code: 0`. HTTP and SSH failures already threw upstream.
 */
export function replyOk(expect: ControlOperation['expect'], body: string): { ok: boolean; detail: string } {
  if (expect !== 'status-ok') return { ok: true, detail: body.slice(0, 200) };
  const { value, error } = decodeReply(body);
  if (error !== null || value === null || typeof value !== 'object') {
    return { ok: false, detail: `unreadable reply: ${error ?? 'empty'}` };
  }
  const v = value as Record<string, unknown>;
  if (typeof v['code'] === 'number')
    return { ok: v['code'] === 0, detail: `code ${v['code']}: ${String(v['msg'] ?? '')}` };
  const status = v['STATUS'];
  if (typeof status === 'string')
    return { ok: status === 'S' || status === 'I', detail: `${status}: ${JSON.stringify(v['Msg'] ?? '')}` };
  if (Array.isArray(status) && status[0] && typeof status[0] === 'object') {
    const s = status[0] as Record<string, unknown>;
    return {
      ok: s['STATUS'] === 'S' || s['STATUS'] === 'I',
      detail: `${String(s['STATUS'])}: ${String(s['Msg'] ?? '')}`,
    };
  }
  return { ok: false, detail: 'reply has no STATUS or code' };
}
