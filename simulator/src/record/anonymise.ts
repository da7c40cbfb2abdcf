/**
 * Anonymises a raw miner reply without touching its framing: only the values of identifying
 * fields change (MACs, serials, pool worker names), everything else stays byte-exact. The same
 * input value always maps to the same pseudonym within one recording, so replies stay consistent.
 */
const SERIAL_KEYS = [
  'SerialNumber',
  'serinum',
  'miner-sn',
  'minersn',
  'PCB SN',
  'sn',
  'miner_id',
  'DNA',
  'Board Serial Numbers',
];
const SERIAL_KEY_RE = /^(pcbsn\d+|chain_sn\d*|.*[Ss]erial.*)$/;
const WORKER_KEYS = ['User', 'user', 'account', 'Current User', 'worker1', 'worker2', 'worker3', 'worker'];

export class Anonymiser {
  private readonly map = new Map<string, string>();
  private counters = { mac: 0, serial: 0, worker: 0 };
  /** How many values were replaced, by kind (reported to the technician). */
  readonly replaced = { mac: 0, serial: 0, worker: 0 };

  private pseudonym(kind: 'mac' | 'serial' | 'worker', value: string): string {
    const key = `${kind}:${value}`;
    let out = this.map.get(key);
    if (!out) {
      const n = ++this.counters[kind];
      out =
        kind === 'mac' ? fakeMac(value, n) : kind === 'serial' ? fakeSerial(value, n) : fakeWorker(value, n);
      this.map.set(key, out);
    }
    this.replaced[kind]++;
    return out;
  }

  apply(raw: string): string {
    let s = raw.replace(/\b[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}\b/g, (mac) =>
      this.pseudonym('mac', mac),
    );
    // JSON `"key":"value"` and cgminer text `key=value` forms, for the identifying keys.
    s = s.replace(
      /"([^"\\]{1,40})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g,
      (whole, key: string, sep: string, value: string) => {
        const kind = this.kindOf(key, value);
        return kind ? `"${key}"${sep}"${this.pseudonym(kind, value)}"` : whole;
      },
    );
    s = s.replace(
      /(^|[,|])([A-Za-z][A-Za-z0-9 _-]{0,30})=([^,|\0]*)/g,
      (whole, lead: string, key: string, value: string) => {
        const kind = this.kindOf(key, value);
        return kind ? `${lead}${key}=${this.pseudonym(kind, value)}` : whole;
      },
    );
    // Avalon's MAC has no separators (version MAC=...), and its DNA token in estats.
    s = s.replace(
      /("MAC"\s*:\s*"|MAC=)([0-9A-Fa-f]{12})(?=["|,\0]|$)/g,
      (_w, lead: string, mac: string) => lead + this.pseudonym('mac', mac),
    );
    return s;
  }

  private kindOf(key: string, value: string): 'serial' | 'worker' | 'mac' | null {
    if (!value || /^0+$/.test(value)) return null;
    if (/^(MAC|mac|macaddr|MACAddr)$/.test(key) && /^[0-9A-Fa-f]{12}$/.test(value)) return 'mac';
    if (SERIAL_KEYS.includes(key) || SERIAL_KEY_RE.test(key)) return 'serial';
    if (WORKER_KEYS.includes(key)) return 'worker';
    return null;
  }
}

/** Keeps the case and separator of the original MAC; locally administered prefix 02. */
function fakeMac(original: string, n: number): string {
  const sep = original.includes(':') ? ':' : original.includes('-') ? '-' : '';
  const hex = `020000${n.toString(16).padStart(6, '0')}`;
  const pairs = hex.match(/../g)!;
  const out = pairs.join(sep);
  return original === original.toLowerCase() ? out.toLowerCase() : out.toUpperCase();
}

/** Same length, same vendor prefix (first 4 characters), the rest a counter. */
function fakeSerial(original: string, n: number): string {
  const keep = original.slice(0, Math.min(4, Math.max(0, original.length - 2)));
  return keep + String(n).padStart(original.length - keep.length, '0');
}

/** `account.worker` keeps its shape: `acct1.worker1`. */
function fakeWorker(original: string, n: number): string {
  const dot = original.indexOf('.');
  return dot >= 0 ? `acct${n}.worker${n}` : `worker${n}`;
}
