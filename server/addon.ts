import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NativeAddon } from './types';

/**
 * The package root holds package.json and build/. This file runs both as
 * server/addon.ts (ts-node, tests of the sources) and as dist/server/addon.js,
 * so the root is found by walking up rather than by a fixed number of '..'.
 */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const parsed = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown };
      if (parsed.name === 'lanstress') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the lanstress package root above ${from}`);
    }
    dir = parent;
  }
}

export function addonPath(): string {
  return path.join(packageRoot(), 'build', 'Release', 'lanserver.node');
}

/** The standalone native server built next to the addon. */
export function standalonePath(): string {
  return path.join(packageRoot(), 'build', 'Release', 'lanserver');
}

export class AddonNotBuiltError extends Error {
  readonly code = 'ERR_ADDON_NOT_BUILT';
  constructor(file: string, cause?: unknown) {
    super(
      cause === undefined
        ? `the native addon is not built (${file} is missing): run npm install`
        : `the native addon at ${file} failed to load: ${String(cause)}; run npm install to rebuild it`,
    );
    this.name = 'AddonNotBuiltError';
  }
}

let loaded: NativeAddon | undefined;

/** Loads build/Release/lanserver.node once per process; later calls return the same module. */
export function loadAddon(): NativeAddon {
  if (loaded !== undefined) return loaded;
  const file = addonPath();
  if (!fs.existsSync(file)) throw new AddonNotBuiltError(file);
  try {
    loaded = require(file) as NativeAddon;
  } catch (err) {
    throw new AddonNotBuiltError(file, err instanceof Error ? err.message : err);
  }
  return loaded;
}
