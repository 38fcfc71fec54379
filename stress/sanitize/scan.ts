/**
 * Finds sanitizer reports in a server's stderr, line by line. A report starts at
 * a marker line (ASan, UBSan, TSan, LSan) and runs until the next marker or a
 * blank line after its stack; only its first lines are kept so a run with
 * thousands of races stays bounded in memory and in the report. Pure.
 */

/** Report markers, as the sanitizer runtimes print them (compiler-rt's report headers). */
const MARKERS: ReadonlyArray<{ kind: SanitizerKind; re: RegExp }> = [
  { kind: 'LeakSanitizer', re: /ERROR: LeakSanitizer/ },
  { kind: 'AddressSanitizer', re: /ERROR: AddressSanitizer/ },
  { kind: 'ThreadSanitizer', re: /WARNING: ThreadSanitizer/ },
  { kind: 'UndefinedBehaviorSanitizer', re: /runtime error:|ERROR: UndefinedBehaviorSanitizer/ },
];

export type SanitizerKind = 'AddressSanitizer' | 'LeakSanitizer' | 'ThreadSanitizer' | 'UndefinedBehaviorSanitizer';

export interface SanitizerReport {
  kind: SanitizerKind;
  /** The marker line and the lines after it, at most `linesPerReport`. */
  lines: string[];
}

export interface SanitizerFindings {
  /** Every report seen, kept or not. */
  count: number;
  /** The first reports, each cut to its first lines. */
  reports: SanitizerReport[];
}

export const DEFAULT_LINES_PER_REPORT = 30;
export const DEFAULT_MAX_REPORTS = 8;

/** The kind of report a line starts, or null. */
export function markerOf(line: string): SanitizerKind | null {
  for (const m of MARKERS) if (m.re.test(line)) return m.kind;
  return null;
}

export class SanitizerScanner {
  private count = 0;
  private readonly reports: SanitizerReport[] = [];
  private current: SanitizerReport | null = null;

  constructor(
    private readonly linesPerReport = DEFAULT_LINES_PER_REPORT,
    private readonly maxReports = DEFAULT_MAX_REPORTS,
  ) {}

  push(line: string): void {
    const kind = markerOf(line);
    if (kind !== null) {
      this.count++;
      this.current = null;
      if (this.reports.length < this.maxReports) {
        this.current = { kind, lines: [line] };
        this.reports.push(this.current);
      }
      return;
    }
    if (this.current === null) return;
    // TSan and ASan end a report with a row of '=' (or SUMMARY); nothing after it belongs to it.
    if (this.current.lines.length >= this.linesPerReport) {
      this.current = null;
      return;
    }
    this.current.lines.push(line);
    if (/^=+$/.test(line.trim()) || /^SUMMARY: /.test(line)) this.current = null;
  }

  findings(): SanitizerFindings {
    return { count: this.count, reports: this.reports.map((r) => ({ kind: r.kind, lines: [...r.lines] })) };
  }
}
