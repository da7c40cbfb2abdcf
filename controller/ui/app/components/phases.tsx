import { fixed } from '../format.js';
import { t } from '../i18n.js';
import { type PduPhasesReply, phaseBars } from '../phases.js';

/** One bar per PDU phase: current against the rating the PDU reports (or the alert's default). */
export function PduPhases({ pdus }: { pdus: readonly PduPhasesReply[] }) {
  const bars = phaseBars(pdus);
  if (bars.length === 0) return null;
  return (
    <section class="pdu-phases" data-testid="pdu-phases">
      <h3>{t('pdu.phases')}</h3>
      <ul>
        {bars.map((b) => (
          <li key={b.key} data-phase={b.key} data-band={b.band}>
            <span class="phase-label">{b.label}</span>
            <span class="phase-bar">
              <span
                class={`phase-fill ${b.band}`}
                style={{ width: `${Math.min(100, (b.load ?? 0) * 100)}%` }}
              />
            </span>
            <span class="phase-figure">
              {b.currentA === null ? '—' : `${fixed(b.currentA, 1)} A`} / {b.ratingA} A
              {b.ratingFrom === 'default' && (
                <small title={t('pdu.noRating')}> {t('pdu.defaultRating')}</small>
              )}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
