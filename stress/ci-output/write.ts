/** Writes the CI outputs asked for by --junit and --markdown: one file each, covering every run of the command. */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RunReport } from '../report/types';
import { toJUnitRuns } from './junit';
import { toMarkdownRuns } from './markdown';

export interface CiOutputPaths {
  junit?: string | undefined;
  markdown?: string | undefined;
}

/** A run's report and, when one command ran several (one per backend), what tells it apart. */
export interface LabelledRun {
  report: RunReport;
  label: string | null;
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

/** Returns the paths written. One report or several (a test suite / a section per run). */
export function writeCiOutputs(reports: RunReport | readonly LabelledRun[], paths: CiOutputPaths): string[] {
  const runs: readonly LabelledRun[] = Array.isArray(reports) ? reports : [{ report: reports as RunReport, label: null }];
  const written: string[] = [];
  if (paths.junit) {
    write(paths.junit, toJUnitRuns(runs));
    written.push(paths.junit);
  }
  if (paths.markdown) {
    write(paths.markdown, toMarkdownRuns(runs));
    written.push(paths.markdown);
  }
  return written;
}
