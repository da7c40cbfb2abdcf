import { useEffect, useState } from 'preact/hooks';
import { utc, when } from '../format.js';

/** A moment in local time (a site's zone when given), UTC on hover. */
export function Time({ at, tz }: { at: number | string | null | undefined; tz?: string | undefined }) {
  if (at === null || at === undefined) return <>–</>;
  const d = new Date(at);
  return (
    <time dateTime={Number.isNaN(d.getTime()) ? undefined : d.toISOString()} title={utc(at)}>
      {when(at, tz)}
    </time>
  );
}

/** A site's own clock: its local time now and its IANA zone name, UTC on hover; ticks each minute. */
export function SiteClock({ tz }: { tz: string }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <p class="site-clock muted" data-tz={tz}>
      <Time at={now} tz={tz} /> · {tz}
    </p>
  );
}
