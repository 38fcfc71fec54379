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

/** Each line of faults.h's list `tag`: the macro's arguments after NAME, backend and "what". */
function readEntries(file: string, tag: 'X' | 'Y', more: string): Array<{ fault: Fault; extra: string[] }> {
  const entry = new RegExp(`^\\s*${tag}\\((\\w+),\\s*(any|epoll|io_uring|iocp),\\s*"((?:[^"\\\\]|\\\\.)*)"${more}\\)`);
  const out: Array<{ fault: Fault; extra: string[] }> = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = entry.exec(line);
    if (m !== null) out.push({ fault: { name: m[1]!, backend: m[2] as FaultBackend, breaks: m[3]! }, extra: m.slice(4) });
  }
  return out;
}

export function readFaults(file = FAULTS_HEADER): Fault[] {
  const faults = readEntries(file, 'X', '').map((e) => e.fault);
  if (faults.length === 0) throw new Error(`no X(NAME, backend, "what") entries in ${file}`);
  return faults;
}

/** A fault on a path the gate cannot reach, and the core test (test/addon/core/NAME.cpp) that catches it. */
export interface CoreFault extends Fault {
  caughtBy: string;
}

/** The second list of faults.h: Y(NAME, backend, "what", core_test). */
export function readCoreFaults(file = FAULTS_HEADER): CoreFault[] {
  return readEntries(file, 'Y', ',\\s*(\\w+)').map((e) => ({ ...e.fault, caughtBy: e.extra[0]! }));
}
