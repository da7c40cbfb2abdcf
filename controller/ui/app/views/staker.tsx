import type { Me } from '../roles.js';

export function StakerView({ me, stakerId }: { me: Me; stakerId: string | null }) {
  return (
    <p class="muted pad">
      Staker portal for {stakerId ?? me.stakerId ?? '–'}: waiting for the accounting routes.
    </p>
  );
}
