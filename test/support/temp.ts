/** Temporary directories for the tests: one naming scheme, under the OS temp dir. */
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh directory named lanstress-<label>-XXXXXX; the caller removes it. */
export function tempDir(label = 'run'): string {
  return mkdtempSync(path.join(os.tmpdir(), `lanstress-${label}-`));
}
