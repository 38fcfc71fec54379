/** Why a test of the fleet's native socket engine (--io native) cannot run here, or false when it can. */
import { nativeIoAvailable } from '../../dummy-client/native-socket';
import { addonMissing } from './cli';

export function nativeIoMissing(): string | false {
  const missing = addonMissing();
  if (missing !== false) return missing;
  return nativeIoAvailable() ? false : 'this addon has no fleet engine (Linux only)';
}
