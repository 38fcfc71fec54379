import { formatHostPort } from './loopback';
import type { ListenInfo, ServerMode, ServerStats } from './types';
import { leaked } from './types';

export function formatListening(info: ListenInfo, mode: ServerMode, workers: number): string {
  const where = formatHostPort(info.host, info.port);
  return `lanserver listening on ${where} backend=${info.backend} mode=${mode} workers=${workers}`;
}

function entries(record: Record<string, number>): string {
  return Object.entries(record)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** The human summary printed at exit; plain text, so it reads the same on a TTY and in a log. */
export function formatStats(stats: ServerStats): string {
  const lines = [
    `sessions    accepted=${stats.accepted} released=${stats.released} live=${stats.sessions} peak=${stats.peakSessions} leaked=${leaked(stats)}`,
    `rejected    ${entries(stats.rejected)}`,
    `recv        packets=${stats.recvPackets} bytes=${stats.recvBytes}`,
    `send        packets=${stats.sendPackets} bytes=${stats.sendBytes}`,
    `disconnects ${entries(stats.disconnects)}`,
    `staleIdCalls=${stats.staleIdCalls}`,
    `anomalies   ${entries(stats.anomalies)}`,
  ];
  return lines.join('\n');
}
