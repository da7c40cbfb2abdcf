/** Lower-case, colon-separated: agents and imports write MACs in either case and with `-` or none. */
export function normaliseMac(mac: string): string {
  const hex = mac.replace(/[^0-9a-f]/gi, '').toLowerCase();
  return hex.length === 12 ? (hex.match(/../g) ?? []).join(':') : mac.trim().toLowerCase();
}
