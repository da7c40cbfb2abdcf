/**
 * Load bars of a container's PDU phases: each phase's current as a share of its rating, banded the
 * way the PDUs and the alert see it. Pure, so the bands are tested without a browser.
 */

/** The controller's phase_overload default (alerts/kinds.ts) for a PDU that reports no rating. */
export const DEFAULT_PHASE_RATING_A = 32;
/** APC's near-overload threshold sits at 80 % of the overload one by default. */
const NEAR_OVERLOAD = 0.8;

export interface PhaseReply {
  phase: number;
  currentA: number | null;
  voltageV: number | null;
  powerW: number | null;
  ratedCurrentA?: number | null;
}

export interface PduPhasesReply {
  pduId: string;
  at: number;
  phases: PhaseReply[] | null;
}

export interface PhaseBar {
  key: string;
  label: string;
  currentA: number | null;
  ratingA: number;
  /** Whether the rating is the PDU's own or the default. */
  ratingFrom: 'pdu' | 'default';
  /** Share of the rating, 0..1+ (the bar is drawn capped at 100 %). */
  load: number | null;
  band: 'ok' | 'near' | 'over' | 'unknown';
}

export function phaseBars(pdus: readonly PduPhasesReply[]): PhaseBar[] {
  return pdus.flatMap((p) =>
    (p.phases ?? []).map((ph) => {
      const own = ph.ratedCurrentA && ph.ratedCurrentA > 0 ? ph.ratedCurrentA : null;
      const ratingA = own ?? DEFAULT_PHASE_RATING_A;
      const load = ph.currentA === null ? null : ph.currentA / ratingA;
      return {
        key: `${p.pduId}/${ph.phase}`,
        label: `${p.pduId} L${ph.phase}`,
        currentA: ph.currentA,
        ratingA,
        ratingFrom: own ? 'pdu' : 'default',
        load,
        band: load === null ? 'unknown' : load >= 1 ? 'over' : load >= NEAR_OVERLOAD ? 'near' : 'ok',
      } satisfies PhaseBar;
    }),
  );
}
