import qrcode from 'qrcode-generator';
import { t } from '../i18n.js';

/** The absolute URL of a miner's page in this UI, the one a phone opens from its QR code. */
export function minerUrl(minerId: string): string {
  return `${location.origin}${location.pathname}#/miners/${encodeURIComponent(minerId)}`;
}

/**
 * A QR code of `text` as an SVG of dark modules on white (error correction M, a four-module quiet
 * zone), drawn from `qrcode-generator`'s matrix so no markup string is injected. `data-url` carries
 * the encoded text for tests and for anyone who wants to copy it.
 */
export function QrCode({ text, size = 96, what }: { text: string; size?: number; what: string }) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
  return (
    <svg
      class="qr"
      width={size}
      height={size}
      viewBox={`0 0 ${n + 8} ${n + 8}`}
      shape-rendering="crispEdges"
      role="img"
      aria-label={t('qr.label', { what })}
      data-url={text}
    >
      <rect width={n + 8} height={n + 8} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
