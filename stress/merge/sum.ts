/** Counts of several parts added by key. Pure. */

/** Every numeric field summed by key, over records of one shape. */
export function sumCounts<K extends string>(records: ReadonlyArray<Readonly<Record<K, number>>>): Record<K, number> {
  const out: Partial<Record<K, number>> = {};
  for (const r of records) for (const k of Object.keys(r) as K[]) out[k] = (out[k] ?? 0) + r[k];
  return out as Record<K, number>;
}
