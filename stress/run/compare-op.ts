/**
 * The comparison operators every gate and threshold is written with. A leaf module (no imports) so the
 * scenario definitions, the gates and the threshold grammar share it without depending on each other.
 */

/** Two-character operators first: a parser that scans this list in order never reads `<=` as `<`. */
export const COMPARE_OPS = ['<=', '>=', '==', '!=', '<', '>'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

export function compareValues(actual: number, op: CompareOp, expected: number): boolean {
  switch (op) {
    case '<': return actual < expected;
    case '<=': return actual <= expected;
    case '>': return actual > expected;
    case '>=': return actual >= expected;
    case '==': return actual === expected;
    case '!=': return actual !== expected;
  }
}
