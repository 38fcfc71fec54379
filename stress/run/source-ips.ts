/**
 * `--source-ips`: the loopback source addresses the fleet spreads its connections over. One
 * source address has about 28k ephemeral ports (ip_local_port_range), so a connect/close storm
 * past that needs more addresses; every 127.0.0.0/8 address is local on Linux, so any of them
 * can be bound. Pure.
 *
 * Forms: a count N (127.0.0.2, 127.0.0.3, ... N addresses), a range A-B, a single address, or a
 * comma list of ranges and addresses.
 */

/** More addresses than this buys nothing (each already has ~28k ports) and is likely a typo. */
export const MAX_SOURCE_IPS = 65536;
const FIRST_AUTO = (127 << 24) | 2;
const LAST_LOOPBACK = (127 << 24) | 0xfffffe;

function toInt(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.trim());
  if (m === null) return null;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return null;
  return ((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!;
}

function toText(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function isLoopback(n: number): boolean {
  return n >>> 24 === 127;
}

/** The addresses, or a reason naming what is wrong with the text. */
export function parseSourceIps(text: string): { ips: string[] } | { error: string } {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n < 1 || n > MAX_SOURCE_IPS) return { error: `a count must be between 1 and ${MAX_SOURCE_IPS}` };
    return { ips: Array.from({ length: n }, (_, i) => toText(FIRST_AUTO + i)) };
  }
  const ips: string[] = [];
  for (const part of t.split(',').map((p) => p.trim())) {
    if (part === '') return { error: 'an empty item in the list' };
    const [a, b, extra] = part.split('-');
    if (extra !== undefined) return { error: `'${part}' is not an address or a range A-B` };
    const from = toInt(a!);
    const to = b === undefined ? from : toInt(b);
    if (from === null || to === null) return { error: `'${part}' is not an IPv4 address or a range A-B of them` };
    if (!isLoopback(from) || !isLoopback(to)) return { error: `'${part}' is not in 127.0.0.0/8 (only loopback sources are allowed)` };
    if (to < from) return { error: `range '${part}' is reversed` };
    if (ips.length + (to - from + 1) > MAX_SOURCE_IPS) return { error: `more than ${MAX_SOURCE_IPS} addresses` };
    for (let n = from; n <= to; n++) ips.push(toText(n));
  }
  const unique = [...new Set(ips)];
  if (unique.some((ip) => toInt(ip)! > LAST_LOOPBACK || (toInt(ip)! & 0xffffff) === 0)) {
    return { error: '127.0.0.0 and 127.255.255.255 cannot be source addresses' };
  }
  return { ips: unique };
}
