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

/** A fault on a path the gate cannot reach, and the core test (test/addon/core/NAME.cpp) that catches it. */
export interface CoreFault extends Fault {
  caughtBy: string;
}

const CORE_ENTRY = /^\s*Y\((\w+),\s*(any|epoll|io_uring|iocp),\s*"((?:[^"\\]|\\.)*)",\s*(\w+)\)/;

/** The second list of faults.h: Y(NAME, backend, "what", core_test). */
export function readCoreFaults(file = FAULTS_HEADER): CoreFault[] {
  const faults: CoreFault[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = CORE_ENTRY.exec(line);
    if (m !== null) faults.push({ name: m[1]!, backend: m[2] as FaultBackend, breaks: m[3]!, caughtBy: m[4]! });
  }
  return faults;
}
