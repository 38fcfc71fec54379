/**
 * What a terminal stream can take, decided once for every printer: colour only on a TTY, and
 * never with NO_COLOR (any non-empty value, no-color.org) or TERM=dumb; a line rewritten in place
 * (carriage return and erase-line) only on a TTY that is not dumb.
 */
export interface TerminalStream {
  isTTY?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

const dumb = (env: Env): boolean => env.TERM === 'dumb';

export function colourOn(stream: TerminalStream, env: Env = process.env): boolean {
  return stream.isTTY === true && !dumb(env) && (env.NO_COLOR ?? '') === '';
}

export function inPlaceOn(stream: TerminalStream, env: Env = process.env): boolean {
  return stream.isTTY === true && !dumb(env);
}
