/** Waits for a condition in a running system: polls `probe` until it returns a value or time runs out. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  opts: { timeoutMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v !== null && v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: last error: ${last.message}` : '';
      throw new Error(`timed out waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 250));
  }
}

/** GET on the demo's API as `token`; throws naming the path and status on anything but 200. */
export async function apiGet<T>(baseUrl: string, token: string, path: string): Promise<T> {
  const res = await fetch(`${baseUrl}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface FleetView {
  controller: { url: string };
  tokens: { admin: string };
  scenario: {
    containers: { id: string }[];
    miners: { id: string; containerId: string }[];
    faults: { minerId: string; fault: { kind: string } }[];
  };
}

type SlotView = { minerId: string | null; hashrateThs?: number | null; chipTempMaxC?: number | null };

/** Faults that keep a simulated miner from answering its API at all. */
const SILENT_FAULTS = new Set(['dead', 'hung', 'slow', 'truncated', 'garbage']);

/**
 * Until the miners the simulator serves normally (all but those given a connection fault) show a
 * live sample in their container's grid on the API; `share` < 1 settles for that fraction.
 */
export async function waitForFleet(demo: FleetView, timeoutMs = 60_000, share = 1): Promise<number> {
  const silent = new Set(
    demo.scenario.faults.filter((f) => SILENT_FAULTS.has(f.fault.kind)).map((f) => f.minerId),
  );
  const want = Math.ceil(demo.scenario.miners.filter((m) => !silent.has(m.id)).length * share);
  return waitFor(
    `${want} miners reporting on ${demo.controller.url}`,
    async () => {
      let live = 0;
      for (const c of demo.scenario.containers) {
        const grid = await apiGet<{ racks: { slots: SlotView[] }[] }>(
          demo.controller.url,
          demo.tokens.admin,
          `/containers/${c.id}`,
        );
        for (const r of grid.racks) {
          live += r.slots.filter(
            (s) => s.minerId !== null && (s.hashrateThs != null || s.chipTempMaxC != null),
          ).length;
        }
      }
      return live >= want ? live : null;
    },
    { timeoutMs, everyMs: 1000 },
  );
}
