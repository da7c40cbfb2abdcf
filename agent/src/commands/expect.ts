import type { ControlOperation } from '@hashfleet/firmware-profiles';
import { replyVerdict } from '@hashfleet/firmware-profiles/cgminer-reply';

/** A step's reply read as the miner's answer: accepted, or not, in the miner's own words. */
export type StepCheck = { ok: boolean; detail: string };

const said = (code: string | null, message: string) => (code ? `Code ${code}: ${message}` : message);

/**
 * Whether a reply shows the miner accepted the step (issue 16: refusals are failures). Every
 * reply body is read for a refusal whatever the operation expects, so a `restart` answered
 * `STATUS=E, Code 45` fails even though a restart usually just drops the connection:
 * - `status-ok`: the reply must say yes (cgminer S/I, btminer `STATUS:"S"`, v3 `code: 0`);
 *   a reply that cannot be read either way is a failure, never a success.
 * - `connection-closed-ok`: no reply at all is the expected answer; a reply must say yes.
 * - `http-2xx` / `exit-0`: the status already said yes upstream (401/403 and non-zero exits threw);
 *   a JSON body that says no (`result:false`, `stats:"error"`) still refuses.
 */
export function replyOk(expect: ControlOperation['expect'], body: string): StepCheck {
  if (expect === 'exit-0') return { ok: true, detail: body.trim().slice(0, 200) || 'exit 0' };
  if (expect === 'connection-closed-ok' && body.replace(/\0/g, '').trim() === '') {
    return { ok: true, detail: 'connection closed (expected)' };
  }
  const v = replyVerdict(body);
  if (expect === 'http-2xx') {
    if (v.ok === false) return { ok: false, detail: `miner refused: ${said(v.code, v.message)}` };
    return {
      ok: true,
      detail: v.ok === true ? said(v.code, v.message) : body.trim().slice(0, 200) || 'HTTP 2xx',
    };
  }
  if (v.ok === true) return { ok: true, detail: said(v.code, v.message) };
  if (v.ok === false) return { ok: false, detail: `miner refused: ${said(v.code, v.message)}` };
  return { ok: false, detail: `no verdict in the reply, not taken for success: ${v.message}` };
}
