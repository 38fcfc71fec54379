/**
 * The chat example (examples/chat) as the tests use it: its real server, in this process, with an
 * optional fault injected into its relay (examples/chat/server.mjs startChatServer's `relay`).
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths';

export const CHAT_DIR = path.join(ROOT, 'examples', 'chat');
export const CHAT_PROTOCOL = path.join(CHAT_DIR, 'protocol.mjs');

/** One relayed line in, the lines written in its place out; toSender: the copy for the sender (its answer). */
export type Relay = (line: string, toSender: boolean) => string[];

export interface ChatServer {
  port: number;
  close(): Promise<void>;
}

interface ChatServerModule {
  startChatServer(options: { port?: number; host?: string; relay?: Relay }): Promise<ChatServer>;
}

/** A real import() of an ES module: tsc compiles this package's own import() to require(). */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

export async function startChatServer(relay?: Relay): Promise<ChatServer> {
  const mod = (await importModule(pathToFileURL(path.join(CHAT_DIR, 'server.mjs')).href)) as ChatServerModule;
  return mod.startChatServer(relay === undefined ? {} : { relay });
}

/** The `seq` of a relayed `msg` line. */
export function seqOf(line: string): number {
  return (JSON.parse(line) as { seq: number }).seq;
}
