/**
 * A slot typed as a person reads it off the rack: `R2/S09`, `2-9`, `r2 s9`, optionally after the
 * container (`kz-c2 R2/S09`). Pure, so it is tested without a browser; the header search resolves
 * it against the containers' slot grids, since `GET /miners?q=` does not match slots.
 */
export interface SlotQuery {
  container: string | null;
  rack: number;
  slot: number;
}

const SLOT = /^(?:(\S+?)[\s/]+)?r?(\d{1,3})\s*[/\-\s.]\s*s?(\d{1,3})$/i;

export function parseSlotQuery(text: string): SlotQuery | null {
  const m = SLOT.exec(text.trim());
  if (!m) return null;
  return { container: m[1] ?? null, rack: Number(m[2]), slot: Number(m[3]) };
}

/** `R02` and `R2`, `S09` and `9` are the same place: compare the numbers in the names. */
export function sameNumber(name: string, n: number): boolean {
  const digits = name.match(/\d+/g);
  return digits !== null && Number(digits[digits.length - 1]) === n;
}

/** Whether a container (by id or name) is the one the query names; any container when it names none. */
export function containerMatches(q: SlotQuery, c: { id: string; name: string }): boolean {
  if (q.container === null) return true;
  const want = q.container.toLowerCase();
  return c.id.toLowerCase() === want || c.name.toLowerCase() === want || c.id.toLowerCase().includes(want);
}
