/**
 * The live line, once a second: rewritten in place on a TTY, one plain line
 * a second otherwise (logs and CI), nothing at all under --json.
 */
import type { FleetTick } from '../../dummy-client/types';
import { inPlaceOn } from '../format/terminal';

function ms(v: number | null): string {
  return v === null ? '-' : v >= 10 ? v.toFixed(0) : v.toFixed(2);
}

const BAR_CELLS = 12;

/** "[#####·······]": how much of the run has gone (the ramp-up is inside the duration). */
export function progressBar(t: number, durationSec: number): string {
  const done = durationSec > 0 ? Math.min(BAR_CELLS, Math.round((t / durationSec) * BAR_CELLS)) : BAR_CELLS;
  return `[${'#'.repeat(done)}${'·'.repeat(BAR_CELLS - done)}]`;
}

/**
 * Pure: one tick as text. `errors` is this second's client errors plus integrity errors, the
 * codes the summary lists as errors (not the events a scenario causes on purpose).
 */
export function formatTick(t: FleetTick, durationSec: number, serverSessions: number | null, clientRssBytes: number): string {
  const parts = [
    `${progressBar(t.t, durationSec)} ${String(t.t).padStart(3)}/${durationSec}s`,
    `conn ${t.connections}${t.connecting > 0 ? ` (+${t.connecting} opening)` : ''}`,
    `echo/s ${t.echoed}`,
    `p50 ${ms(t.p50)}ms p99 ${ms(t.p99)}ms`,
    `errors ${t.errors}`,
  ];
  if (serverSessions !== null) parts.push(`server sessions ${serverSessions}`);
  parts.push(`client rss ${Math.round(clientRssBytes / (1 << 20))}MiB`);
  if (t.lagMs >= 100) parts.push(`client lag ${Math.round(t.lagMs)}ms`);
  return parts.join(' | ');
}

export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class Progress {
  private inPlace = false;

  constructor(private readonly sink: ProgressSink | null) {}

  line(text: string): void {
    if (this.sink === null) return;
    if (inPlaceOn(this.sink)) {
      this.sink.write(`\r\x1b[2K${text}`);
      this.inPlace = true;
    } else {
      this.sink.write(`${text}\n`);
    }
  }

  /** A message that must stay on screen (not overwritten by the next tick). */
  note(text: string): void {
    if (this.sink === null) return;
    this.end();
    this.sink.write(`${text}\n`);
  }

  end(): void {
    if (this.inPlace && this.sink !== null) this.sink.write('\n');
    this.inPlace = false;
  }
}
