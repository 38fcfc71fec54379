/** The fault matrix as the tests see it: read from the one list in addon/src/core/faults.h. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './paths';
export const FAULTS_HEADER = path.join(ROOT, 'addon', 'src', 'core', 'faults.h');

export type FaultBackend = 'any' | 'epoll' | 'io_uring' | 'iocp';

export interface Fault {
  name: string;
  backend: FaultBackend;
  breaks: string;
}

const ENTRY = /^\s*X\((\w+),\s*(any|epoll|io_uring|iocp),\s*"((?:[^"\\]|\\.)*)"\)/;

export function readFaults(file = FAULTS_HEADER): Fault[] {
  const faults: Fault[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = ENTRY.exec(line);
    if (m !== null) faults.push({ name: m[1]!, backend: m[2] as FaultBackend, breaks: m[3]! });
  }
  if (faults.length === 0) throw new Error(`no X(NAME, backend, "what") entries in ${file}`);
  return faults;
}
