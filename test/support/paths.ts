/** Where the tests find the repository and the built product (dist/test/support -> repo root). */
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** The compiled `stress` CLI, as a user runs it. */
export const CLI = path.join(ROOT, 'dist', 'stress', 'cli.js');
/** The native addon a `npm run build:native` leaves. */
export const ADDON = path.join(ROOT, 'build', 'Release', 'lanserver.node');
