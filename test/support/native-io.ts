/** Why a test of the fleet's native socket engine (--io native) cannot run here, or false when it can. */
import * as fs from 'node:fs';
import { addonPath } from '../../server/addon';
import { nativeIoAvailable } from '../../dummy-client/native-socket';

export function nativeIoMissing(): string | false {
  if (!fs.existsSync(addonPath())) return `native addon not built (${addonPath()} missing): run npm run build:native`;
  return nativeIoAvailable() ? false : 'this addon has no fleet engine (Linux only)';
}
