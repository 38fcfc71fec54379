/**
 * Loading a protocol module (protocol.ts) from a file: on the main thread before any load runs
 * (a bad module is exit 2 naming the file and the hook) and again in each worker thread, since
 * functions cannot cross threads.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OPTIONAL_HOOKS, REQUIRED_HOOKS, type Protocol } from './protocol';

export class ProtocolModuleError extends Error {}

/**
 * A real dynamic import: this package compiles to CommonJS, where tsc rewrites `import()` into
 * `require()`, which cannot load an ES module (.mjs) on Node 20.
 */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;

/** The hooks of the module at `file` (absolute, or relative to the working directory), checked. */
export async function loadProtocol(file: string): Promise<Protocol> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new ProtocolModuleError(`${file}: no such file`);
  let ns: Record<string, unknown>;
  try {
    ns = await importModule(pathToFileURL(abs).href);
  } catch (err) {
    throw new ProtocolModuleError(`${file}: cannot be loaded: ${(err as Error).message}`);
  }
  // Hooks as named exports, or as one default-exported object.
  const def = ns.default;
  const hooks = REQUIRED_HOOKS.every((h) => h in ns) || typeof def !== 'object' || def === null ? ns : (def as Record<string, unknown>);
  const problems: string[] = [];
  for (const h of REQUIRED_HOOKS) {
    if (typeof hooks[h] !== 'function') problems.push(`hook ${h}() ${hooks[h] === undefined ? 'is missing' : `is a ${typeof hooks[h]}, not a function`}`);
  }
  for (const h of OPTIONAL_HOOKS) {
    if (hooks[h] !== undefined && typeof hooks[h] !== 'function') problems.push(`hook ${h}() is a ${typeof hooks[h]}, not a function`);
  }
  if (problems.length > 0) throw new ProtocolModuleError(`${file}: ${problems.join('; ')} (it must export frame, request and check, and may export open)`);
  return hooks as unknown as Protocol;
}
