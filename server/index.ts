export { LanServer, echoHandler } from './lan-server';
export type { JsHandler, LanServerConfig, LanServerHooks } from './lan-server';
export {
  defaultServerOptions,
  resolveServerOptions,
  parseCidr,
  ServerOptionsError,
  OPTION_FLAGS,
  BACKENDS,
  MODES,
  MAX_PAYLOAD_LIMIT,
} from './options';
export type { RawServerOptions, ResolvedOptions } from './options';
export { isLoopbackHost } from './loopback';
export { loadAddon, addonPath, standalonePath, packageRoot, AddonNotBuiltError } from './addon';
export { listeningLine, statsLine, parseServerLine, LineSplitter } from './lines';
export { formatListening, formatStats } from './format';
export { leaked } from './types';
export type * from './types';
export type { Check, Protocol, ProtocolConn, Request } from '../dummy-client/protocol';
