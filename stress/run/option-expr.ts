/**
 * The small expression language of scenario gates and derived options: what lets a gate follow the
 * run's options (`connections.opened > clients`) and still be data, so a built-in scenario prints
 * as a file (`stress scenarios --print`) and reads back the same. Names are the ids of the report's
 * options record (optionsRecord: `clients`, `sendQueueLimit`, `target` = 'embedded' or host:port,
 * `traffic` = 'slowReader', ...). Pure.
 *
 *   expr := or;  or := and ('||' and)*;  and := not ('&&' not)*;  not := '!' not | cmp
 *   cmp  := sum (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in') sum)?
 *   sum  := prod (('+' | '-') prod)*;  prod := unary (('*' | '/') unary)*;  unary := '-' unary | atom
 *   atom := number | 'text' | true | false | null | name | fn '(' expr (',' expr)* ')' | '(' expr ')'
 *   fn   := ceil | floor | round | min | max
 */
import type { RecordValue } from './options';

export type ExprValue = RecordValue;
type Binary = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | '+' | '-' | '*' | '/';
type Node =
  | { k: 'lit'; v: ExprValue }
  | { k: 'name'; name: string }
  | { k: 'not'; e: Node }
  | { k: 'neg'; e: Node }
  | { k: 'bin'; op: Binary; a: Node; b: Node }
  | { k: 'call'; fn: Fn; args: Node[] };

const FNS: Readonly<Record<'ceil' | 'floor' | 'round' | 'min' | 'max', (...xs: number[]) => number>> = {
  ceil: (x) => Math.ceil(x!),
  floor: (x) => Math.floor(x!),
  round: (x) => Math.round(x!),
  min: Math.min,
  max: Math.max,
};
type Fn = keyof typeof FNS;

export class ExprError extends Error {}

const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|'([^']*)'|([A-Za-z_][A-Za-z0-9_]*)|(\|\||&&|==|!=|<=|>=|[<>!+\-*/(),]))/y;

type Token = { num: number } | { text: string } | { word: string } | { op: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (m === null) throw new ExprError(`cannot read "${src.slice(at).trim()}"`);
    if (m[1] !== undefined) out.push({ num: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ text: m[2] });
    else if (m[3] !== undefined) out.push({ word: m[3] });
    else out.push({ op: m[4]! });
  }
  return out;
}

/** Recursive descent over the tokens; `names` are the identifiers an expression may use. */
class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[], private readonly names: ReadonlySet<string>) {}

  parse(): Node {
    const e = this.or();
    if (this.i < this.tokens.length) throw new ExprError(`unexpected ${describe(this.tokens[this.i]!)}`);
    return e;
  }

  private peekOp(...ops: string[]): string | undefined {
    const t = this.tokens[this.i];
    if (t !== undefined && 'op' in t && ops.includes(t.op)) return t.op;
    if (t !== undefined && 'word' in t && t.word === 'in' && ops.includes('in')) return 'in';
    return undefined;
  }

  private expectOp(op: string): void {
    if (this.peekOp(op) === undefined) throw new ExprError(`expected '${op}'${this.i < this.tokens.length ? ` before ${describe(this.tokens[this.i]!)}` : ' at the end'}`);
    this.i++;
  }

  private left(next: () => Node, ...ops: Binary[]): Node {
    let a = next();
    for (let op = this.peekOp(...ops); op !== undefined; op = this.peekOp(...ops)) {
      this.i++;
      a = { k: 'bin', op: op as Binary, a, b: next() };
    }
    return a;
  }

  private or = (): Node => this.left(this.and, '||');
  private and = (): Node => this.left(this.not, '&&');
  private not = (): Node => {
    if (this.peekOp('!') === undefined) return this.cmp();
    this.i++;
    return { k: 'not', e: this.not() };
  };
  private cmp = (): Node => {
    const a = this.sum();
    const op = this.peekOp('==', '!=', '<', '<=', '>', '>=', 'in');
    if (op === undefined) return a;
    this.i++;
    return { k: 'bin', op: op as Binary, a, b: this.sum() };
  };
  private sum = (): Node => this.left(this.prod, '+', '-');
  private prod = (): Node => this.left(this.unary, '*', '/');
  private unary = (): Node => {
    if (this.peekOp('-') === undefined) return this.atom();
    this.i++;
    return { k: 'neg', e: this.unary() };
  };

  private atom(): Node {
    const t = this.tokens[this.i++];
    if (t === undefined) throw new ExprError('ends too early');
    if ('num' in t) return { k: 'lit', v: t.num };
    if ('text' in t) return { k: 'lit', v: t.text };
    if ('op' in t) {
      if (t.op !== '(') throw new ExprError(`unexpected '${t.op}'`);
      const e = this.or();
      this.expectOp(')');
      return e;
    }
    const word = t.word;
    if (word === 'true' || word === 'false') return { k: 'lit', v: word === 'true' };
    if (word === 'null') return { k: 'lit', v: null };
    if (this.peekOp('(') !== undefined) return this.call(word);
    if (!this.names.has(word)) throw new ExprError(`unknown option '${word}'`);
    return { k: 'name', name: word };
  }

  private call(word: string): Node {
    if (!(word in FNS)) throw new ExprError(`unknown function '${word}' (known: ${Object.keys(FNS).join(', ')})`);
    this.expectOp('(');
    const args = [this.or()];
    while (this.peekOp(',') !== undefined) {
      this.i++;
      args.push(this.or());
    }
    this.expectOp(')');
    if (word !== 'min' && word !== 'max' && args.length !== 1) throw new ExprError(`${word}() takes one argument, got ${args.length}`);
    return { k: 'call', fn: word as Fn, args };
  }
}

function describe(t: Token): string {
  if ('num' in t) return String(t.num);
  if ('text' in t) return `'${t.text}'`;
  return 'word' in t ? `'${t.word}'` : `'${t.op}'`;
}

function num(v: ExprValue, what: string): number {
  if (typeof v !== 'number') throw new ExprError(`${what} needs a number, got ${JSON.stringify(v)}`);
  return v;
}

function evaluate(n: Node, scope: Readonly<Record<string, ExprValue>>): ExprValue {
  switch (n.k) {
    case 'lit': return n.v;
    case 'name': return scope[n.name] ?? null;
    case 'not': return !truthy(evaluate(n.e, scope));
    case 'neg': return -num(evaluate(n.e, scope), "'-'");
    case 'call': return FNS[n.fn](...n.args.map((a) => num(evaluate(a, scope), n.fn)));
    case 'bin': return binary(n.op, evaluate(n.a, scope), n.op === '&&' || n.op === '||' ? null : evaluate(n.b, scope), () => evaluate(n.b, scope));
  }
}

function truthy(v: ExprValue): boolean {
  return Array.isArray(v) ? v.length > 0 : Boolean(v);
}

function binary(op: Binary, a: ExprValue, b: ExprValue, lazyB: () => ExprValue): ExprValue {
  switch (op) {
    case '||': return truthy(a) || truthy(lazyB());
    case '&&': return truthy(a) && truthy(lazyB());
    case '==': return JSON.stringify(a) === JSON.stringify(b);
    case '!=': return JSON.stringify(a) !== JSON.stringify(b);
    case 'in':
      if (!Array.isArray(b)) throw new ExprError(`'in' needs a list on its right, got ${JSON.stringify(b)}`);
      return typeof a === 'string' && b.includes(a);
    case '<': return num(a, op) < num(b, op);
    case '<=': return num(a, op) <= num(b, op);
    case '>': return num(a, op) > num(b, op);
    case '>=': return num(a, op) >= num(b, op);
    case '+': return num(a, op) + num(b, op);
    case '-': return num(a, op) - num(b, op);
    case '*': return num(a, op) * num(b, op);
    case '/': return num(a, op) / num(b, op);
  }
}

export interface Expr {
  readonly source: string;
  eval(scope: Readonly<Record<string, ExprValue>>): ExprValue;
}

/** Parses an expression over `names`; throws ExprError saying what is wrong. */
export function parseExpr(source: string, names: ReadonlySet<string>): Expr {
  const tree = new Parser(tokenize(source), names).parse();
  return { source, eval: (scope) => evaluate(tree, scope) };
}
