/** Loopback addresses: the only hosts lanstress serves on or sends load to. Pure. */
import * as net from 'node:net';

function parseIPv4(text: string): number[] | undefined {
  if (!net.isIPv4(text)) return undefined;
  return text.split('.').map(Number);
}

/** Expands any valid IPv6 text (with '::' or an embedded IPv4 tail) to its 8 groups. */
function parseIPv6(text: string): number[] | undefined {
  if (!net.isIPv6(text)) return undefined;
  let body = text;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(body);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    body = body.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = body.split('::');
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groups(halves[0]);
  const right = halves.length > 1 ? groups(halves[1]) : [];
  const zeros = new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}

/**
 * The one loopback check: 127.0.0.0/8 in IPv4, ::1 in any IPv6 spelling, and the name localhost.
 * Every host this tool serves on or loads (server --host, run --host, run --target, the fleet's
 * config) passes it.
 */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const v4 = parseIPv4(host);
  if (v4) return v4[0] === 127;
  const v6 = parseIPv6(host);
  return v6 !== undefined && v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1;
}

/** host:port as a URL writes it: an IPv6 host in brackets ([::1]:9000), so the port cannot be read as a group. */
export function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
