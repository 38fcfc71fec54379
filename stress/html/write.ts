/** Writes the HTML rendering of a report: next to its JSON by default, or where asked. */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RunReport } from '../report/types';
import { renderHtml } from './render';

/** reports/x.json -> reports/x.html */
export function htmlPathFor(jsonPath: string): string {
  const parsed = path.parse(jsonPath);
  return path.join(parsed.dir, `${parsed.ext === '.json' ? parsed.name : parsed.base}.html`);
}

/**
 * Writes through a temporary file and a rename, so a reader never sees half a page; the
 * temporary file is removed whatever fails. Returns the path written.
 */
export function writeHtmlReport(report: RunReport, outPath: string, source?: string): string {
  return writeHtmlPage(outPath, renderHtml(report, source === undefined ? {} : { source }));
}

/** Any page (a run report, a comparison) written the same way: temp file, rename, temp removed on failure. */
export function writeHtmlPage(outPath: string, html: string): string {
  mkdirSync(path.dirname(path.resolve(outPath)), { recursive: true });
  const tmp = `${outPath}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, outPath);
  } finally {
    rmSync(tmp, { force: true });
  }
  return outPath;
}
