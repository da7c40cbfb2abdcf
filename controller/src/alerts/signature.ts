import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures. Each delivery to an endpoint with a secret carries
 * `x-hashfleet-signature: t=<ms>,v1=<hex>`, where hex is HMAC-SHA256(secret, `<t>.<body>`) over
 * the exact body bytes sent. The timestamp is inside the MAC, so a receiver that also rejects an
 * old `t` (and remembers the Idempotency-Key it has seen) rejects a replayed delivery.
 */
export const SIGNATURE_HEADER = 'x-hashfleet-signature';

export function webhookSignature(secret: string, body: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/**
 * What a Node.js receiver does with the header (controller/README.md, "Signed webhooks"): the
 * MAC must match, compared in constant time, and `t` must be within `toleranceMs` of its clock.
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string | undefined,
  now: number,
  toleranceMs = 300_000,
): { ok: true } | { ok: false; reason: string } {
  const parts = new Map(
    (header ?? '').split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const mac = parts.get('v1') ?? '';
  if (!Number.isSafeInteger(t) || !/^[0-9a-f]{64}$/.test(mac))
    return { ok: false, reason: `malformed ${SIGNATURE_HEADER} header` };
  const expected = Buffer.from(webhookSignature(secret, body, t).slice(-64), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(mac, 'hex'))) return { ok: false, reason: 'signature mismatch' };
  if (Math.abs(now - t) > toleranceMs)
    return { ok: false, reason: 'timestamp outside the tolerance (replay?)' };
  return { ok: true };
}
