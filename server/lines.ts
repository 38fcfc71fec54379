import type { ListenInfo, ServerLine, ServerMode, ServerStats } from './types';

/** The first line: where the server listens and how it runs. */
export function listeningLine(info: ListenInfo, pid: number, mode: ServerMode, workers: number): ServerLine {
  return { event: 'listening', pid, mode, workers, host: info.host, port: info.port, backend: info.backend };
}

/** A periodic ('stats') or last ('final') snapshot; t is milliseconds since the server started listening. */
export function statsLine(event: 'stats' | 'final', t: number, stats: ServerStats): ServerLine {
  return { event, t, ...stats };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses one stdout line of `stress server --stats-json` or of the standalone lanserver: the one
 * parser of the server's line protocol (the embedded server's reader, the tests and the bench).
 * Returns null for anything that is not a ServerLine (a human message, a partial line, another event).
 */
export function parseServerLine(text: string): ServerLine | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return null;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  switch (value.event) {
    case 'listening':
      return typeof value.port === 'number' && typeof value.host === 'string' ? (value as unknown as ServerLine) : null;
    case 'stats':
    case 'final':
      return typeof value.accepted === 'number' && isRecord(value.anomalies) ? (value as unknown as ServerLine) : null;
    default:
      return null;
  }
}

/** Splits a byte stream into complete lines, keeping the partial tail for the next chunk. */
export class LineSplitter {
  private tail = '';

  push(chunk: string): string[] {
    const parts = (this.tail + chunk).split('\n');
    this.tail = parts.pop() ?? '';
    return parts;
  }
}
