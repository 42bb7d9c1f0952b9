/**
 * A subset of CloudWatch metric math, parsed once and evaluated over time series. Pure functions.
 *
 * Supported:
 * - numbers, query ids (`m1`, `e1`: a lowercase letter, then letters, digits and `_`), parentheses,
 *   arrays `[m1, m2]`;
 * - arithmetic `+ - * / ^` and unary `-`; comparisons `> < >= <= == !=` (1 or 0); logic
 *   `AND`/`&&`, `OR`/`||`, `NOT`/`!` (non-zero is true);
 * - `IF(condition, a[, b])`, `FILL(x, value | REPEAT | LINEAR)`, `ABS`, `CEIL`, `FLOOR`,
 *   `MIN`/`MAX`/`SUM`/`AVG` (of a series: one number; of an array: a series, per timestamp),
 *   `DIFF`, `RATE`, `METRICS([substring])`.
 *
 * As in CloudWatch, an operation on two series yields a value only at timestamps where both have
 * one (use `FILL` to close gaps); a scalar applies to every datapoint; a scalar result becomes a
 * series over the query's time range; a non-finite result (division by zero) is dropped.
 * Anything else (SEARCH, ANOMALY_DETECTION_BAND, Metrics Insights SELECT, LAMBDA, other functions)
 * is rejected with a {@link MathError} naming the supported subset.
 */

export type Series = ReadonlyMap<number, number>;

export type MathValue =
  | { readonly kind: 'scalar'; readonly value: number }
  | { readonly kind: 'series'; readonly points: Series }
  | { readonly kind: 'array'; readonly items: readonly Series[] };

export type Node =
  | { readonly t: 'num'; readonly value: number }
  | { readonly t: 'ref'; readonly id: string }
  | { readonly t: 'str'; readonly value: string }
  | { readonly t: 'keyword'; readonly name: string }
  | { readonly t: 'array'; readonly items: readonly Node[] }
  | { readonly t: 'call'; readonly name: string; readonly args: readonly Node[] }
  | { readonly t: 'unary'; readonly op: '-' | '!'; readonly arg: Node }
  | { readonly t: 'binary'; readonly op: BinaryOp; readonly left: Node; readonly right: Node };

type BinaryOp = '+' | '-' | '*' | '/' | '^' | '>' | '<' | '>=' | '<=' | '==' | '!=' | '&&' | '||';

export const SUPPORTED_FUNCTIONS = ['IF', 'FILL', 'ABS', 'CEIL', 'FLOOR', 'MIN', 'MAX', 'SUM', 'AVG', 'DIFF', 'RATE', 'METRICS'] as const;

export const SUPPORTED_SUMMARY =
  'numbers, query ids, + - * / ^, comparisons (> < >= <= == !=), AND/OR/NOT, [arrays], and the functions ' + SUPPORTED_FUNCTIONS.join(', ');

/** An expression the simulator cannot parse or evaluate; the message says why. */
export class MathError extends Error {
  override readonly name = 'MathError';
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

type Token =
  | { readonly kind: 'num'; readonly value: number; readonly at: number }
  | { readonly kind: 'ident'; readonly value: string; readonly at: number }
  | { readonly kind: 'str'; readonly value: string; readonly at: number }
  | { readonly kind: 'op'; readonly value: string; readonly at: number }
  | { readonly kind: 'end'; readonly at: number };

const OPERATORS = ['>=', '<=', '==', '!=', '&&', '||', '+', '-', '*', '/', '^', '>', '<', '!', '(', ')', '[', ']', ','];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    // Whitespace separates tokens only.
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (number) {
      tokens.push({ kind: 'num', value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', value: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      if (close < 0) throw new MathError(`unterminated string at position ${i + 1}`);
      tokens.push({ kind: 'str', value: text.slice(i + 1, close), at: i });
      i = close + 1;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw new MathError(`unexpected character '${c}' at position ${i + 1}`);
    tokens.push({ kind: 'op', value: op, at: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

/** Parses an expression; throws {@link MathError} on syntax the simulator does not support. */
export function parseExpression(text: string): Node {
  if (/^\s*SELECT\b/i.test(text)) throw new MathError('Metrics Insights queries (SELECT …) are not supported by the simulator');
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const isOp = (value: string): boolean => {
    const t = peek();
    return t.kind === 'op' && t.value === value;
  };
  const isWord = (value: string): boolean => {
    const t = peek();
    return t.kind === 'ident' && t.value === value;
  };
  const expect = (value: string): void => {
    const t = next();
    if (t.kind !== 'op' || t.value !== value) throw new MathError(`expected '${value}' at position ${t.at + 1}`);
  };

  // Precedence, lowest first: OR, AND, NOT, comparison, + -, * /, unary minus, ^.
  const parseOr = (): Node => {
    let left = parseAnd();
    while (isOp('||') || isWord('OR')) {
      next();
      left = { t: 'binary', op: '||', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Node => {
    let left = parseNot();
    while (isOp('&&') || isWord('AND')) {
      next();
      left = { t: 'binary', op: '&&', left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): Node => {
    if (isOp('!') || isWord('NOT')) {
      next();
      return { t: 'unary', op: '!', arg: parseNot() };
    }
    return parseComparison();
  };
  const parseComparison = (): Node => {
    const left = parseAdditive();
    const t = peek();
    if (t.kind === 'op' && ['>', '<', '>=', '<=', '==', '!='].includes(t.value)) {
      next();
      return { t: 'binary', op: t.value as BinaryOp, left, right: parseAdditive() };
    }
    return left;
  };
  const parseAdditive = (): Node => {
    let left = parseMultiplicative();
    while (isOp('+') || isOp('-')) {
      const op = (next() as { value: string }).value as BinaryOp;
      left = { t: 'binary', op, left, right: parseMultiplicative() };
    }
    return left;
  };
  const parseMultiplicative = (): Node => {
    let left = parseUnary();
    while (isOp('*') || isOp('/')) {
      const op = (next() as { value: string }).value as BinaryOp;
      left = { t: 'binary', op, left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): Node => {
    // Unary minus binds looser than ^: -2 ^ 2 is -(2 ^ 2).
    if (isOp('-')) {
      next();
      return { t: 'unary', op: '-', arg: parseUnary() };
    }
    if (isOp('+')) {
      next();
      return parseUnary();
    }
    return parsePower();
  };
  const parsePower = (): Node => {
    const base = parsePrimary();
    if (isOp('^')) {
      next();
      // Right-associative (2 ^ 3 ^ 2 = 2 ^ 9); the exponent may be negative (2 ^ -1).
      return { t: 'binary', op: '^', left: base, right: parseUnary() };
    }
    return base;
  };
  const parsePrimary = (): Node => {
    const t = next();
    if (t.kind === 'num') return { t: 'num', value: t.value };
    if (t.kind === 'str') return { t: 'str', value: t.value };
    if (t.kind === 'op' && t.value === '(') {
      const inner = parseOr();
      expect(')');
      return inner;
    }
    if (t.kind === 'op' && t.value === '[') {
      const items: Node[] = [];
      if (!isOp(']')) {
        do items.push(parseOr());
        while (isOp(',') && next());
      }
      expect(']');
      return { t: 'array', items };
    }
    if (t.kind === 'ident') {
      if (isOp('(')) {
        next();
        const args: Node[] = [];
        if (!isOp(')')) {
          do args.push(parseOr());
          while (isOp(',') && next());
        }
        expect(')');
        const name = t.value.toUpperCase();
        if (!(SUPPORTED_FUNCTIONS as readonly string[]).includes(name)) {
          throw new MathError(`the function ${t.value} is not supported by the simulator (supported: ${SUPPORTED_FUNCTIONS.join(', ')})`);
        }
        return { t: 'call', name, args };
      }
      // Query ids start with a lowercase letter; other words are keywords (REPEAT, LINEAR).
      if (/^[a-z]/.test(t.value)) return { t: 'ref', id: t.value };
      if (t.value === 'REPEAT' || t.value === 'LINEAR') return { t: 'keyword', name: t.value };
      throw new MathError(`unexpected '${t.value}' at position ${t.at + 1}`);
    }
    if (t.kind === 'end') throw new MathError('unexpected end of expression');
    throw new MathError(`unexpected '${t.value}' at position ${t.at + 1}`);
  };

  const node = parseOr();
  const rest = peek();
  if (rest.kind !== 'end') throw new MathError(`unexpected '${rest.kind === 'num' ? String(rest.value) : rest.value}' at position ${rest.at + 1}`);
  return node;
}

/** The query ids an expression reads (METRICS() reads every metric query: `'*'`). */
export function referencedIds(node: Node): string[] {
  const ids = new Set<string>();
  const walk = (n: Node): void => {
    switch (n.t) {
      case 'ref':
        ids.add(n.id);
        return;
      case 'array':
        n.items.forEach(walk);
        return;
      case 'call':
        if (n.name === 'METRICS') ids.add('*');
        n.args.forEach(walk);
        return;
      case 'unary':
        walk(n.arg);
        return;
      case 'binary':
        walk(n.left);
        walk(n.right);
        return;
      case 'num':
      case 'str':
      case 'keyword':
        return;
    }
  };
  walk(node);
  return [...ids];
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

export interface MathContext {
  /** Period start times of the query's range, ascending: FILL fills them, scalars cover them. */
  readonly grid: readonly number[];
  /** The value of another query by id. */
  resolve(id: string): MathValue;
  /** The series of the metric queries whose id contains `filter` (METRICS). */
  metrics(filter: string): readonly Series[];
}

/** Evaluates a parsed expression. */
export function evaluate(node: Node, ctx: MathContext): MathValue {
  switch (node.t) {
    case 'num':
      return scalar(node.value);
    case 'ref':
      return ctx.resolve(node.id);
    case 'str':
    case 'keyword':
      throw new MathError(`${node.t === 'str' ? `"${node.value}"` : node.name} can only be an argument of ${node.t === 'str' ? 'METRICS' : 'FILL'}`);
    case 'array':
      return { kind: 'array', items: node.items.flatMap((item) => seriesList(evaluate(item, ctx), ctx)) };
    case 'unary': {
      const arg = evaluate(node.arg, ctx);
      return map(arg, node.op === '-' ? (v) => -v : (v) => (v === 0 ? 1 : 0));
    }
    case 'binary':
      return combine(evaluate(node.left, ctx), evaluate(node.right, ctx), BINARY[node.op]);
    case 'call':
      return call(node, ctx);
  }
}

/** A result as one series over the grid (a scalar covers every period; arrays are an error). */
export function toSeries(value: MathValue, grid: readonly number[]): Series {
  if (value.kind === 'series') return value.points;
  if (value.kind === 'scalar') return Number.isFinite(value.value) ? new Map(grid.map((t) => [t, value.value])) : new Map();
  if (value.items.length === 1) return value.items[0] as Series;
  throw new MathError(`the expression returns ${value.items.length} time series; it must return one`);
}

/** A result as the list of series it holds. */
export function seriesList(value: MathValue, ctx: Pick<MathContext, 'grid'>): Series[] {
  return value.kind === 'array' ? [...value.items] : [toSeries(value, ctx.grid)];
}

const truthy = (v: number): boolean => v !== 0;

const BINARY: Readonly<Record<BinaryOp, (a: number, b: number) => number>> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '^': (a, b) => a ** b,
  '>': (a, b) => (a > b ? 1 : 0),
  '<': (a, b) => (a < b ? 1 : 0),
  '>=': (a, b) => (a >= b ? 1 : 0),
  '<=': (a, b) => (a <= b ? 1 : 0),
  '==': (a, b) => (a === b ? 1 : 0),
  '!=': (a, b) => (a !== b ? 1 : 0),
  '&&': (a, b) => (truthy(a) && truthy(b) ? 1 : 0),
  '||': (a, b) => (truthy(a) || truthy(b) ? 1 : 0),
};

function scalar(value: number): MathValue {
  return { kind: 'scalar', value };
}

/** Applies `f` to every value; non-finite results are dropped from series. */
function mapSeries(series: Series, f: (v: number) => number): Series {
  const out = new Map<number, number>();
  for (const [t, v] of series) {
    const r = f(v);
    if (Number.isFinite(r)) out.set(t, r);
  }
  return out;
}

function map(value: MathValue, f: (v: number) => number): MathValue {
  if (value.kind === 'scalar') return scalar(f(value.value));
  if (value.kind === 'series') return { kind: 'series', points: mapSeries(value.points, f) };
  return { kind: 'array', items: value.items.map((s) => mapSeries(s, f)) };
}

/** Two series combine where both have a value (CloudWatch aligns on timestamps). */
function zipSeries(a: Series, b: Series, f: (x: number, y: number) => number): Series {
  const out = new Map<number, number>();
  for (const [t, x] of a) {
    const y = b.get(t);
    if (y === undefined) continue;
    const r = f(x, y);
    if (Number.isFinite(r)) out.set(t, r);
  }
  return out;
}

function combine(left: MathValue, right: MathValue, f: (a: number, b: number) => number): MathValue {
  if (left.kind === 'scalar' && right.kind === 'scalar') return scalar(f(left.value, right.value));
  if (left.kind === 'scalar') return map(right, (v) => f(left.value, v));
  if (right.kind === 'scalar') return map(left, (v) => f(v, right.value));
  if (left.kind === 'series' && right.kind === 'series') return { kind: 'series', points: zipSeries(left.points, right.points, f) };
  if (left.kind === 'array' && right.kind === 'series') return { kind: 'array', items: left.items.map((s) => zipSeries(s, right.points, f)) };
  if (left.kind === 'series' && right.kind === 'array') return { kind: 'array', items: right.items.map((s) => zipSeries(left.points, s, f)) };
  throw new MathError('an operation between two arrays of time series is not supported');
}

function sortedEntries(series: Series): [number, number][] {
  return [...series.entries()].sort((a, b) => a[0] - b[0]);
}

function call(node: Extract<Node, { t: 'call' }>, ctx: MathContext): MathValue {
  const { name, args } = node;
  const arity = (min: number, max = min): void => {
    if (args.length < min || args.length > max) {
      throw new MathError(`${name} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`);
    }
  };
  switch (name) {
    case 'IF': {
      arity(2, 3);
      const [condNode, thenNode, elseNode] = args as [Node, Node, Node | undefined];
      const cond = evaluate(condNode, ctx);
      const whenTrue = evaluate(thenNode, ctx);
      const whenFalse = elseNode ? evaluate(elseNode, ctx) : undefined;
      if (cond.kind === 'scalar') return truthy(cond.value) ? whenTrue : (whenFalse ?? { kind: 'series', points: new Map() });
      const pick = (condition: Series): Series => {
        const out = new Map<number, number>();
        for (const [t, c] of condition) {
          const branch = truthy(c) ? whenTrue : whenFalse;
          if (!branch) continue;
          const v = valueAt(branch, t);
          if (v !== undefined && Number.isFinite(v)) out.set(t, v);
        }
        return out;
      };
      if (cond.kind === 'series') return { kind: 'series', points: pick(cond.points) };
      return { kind: 'array', items: cond.items.map(pick) };
    }
    case 'FILL': {
      arity(2);
      const [targetNode, withNode] = args as [Node, Node];
      const target = evaluate(targetNode, ctx);
      const fill = (series: Series): Series => {
        if (withNode.t === 'keyword') return withNode.name === 'REPEAT' ? fillRepeat(series, ctx.grid) : fillLinear(series, ctx.grid);
        const by = evaluate(withNode, ctx);
        const out = new Map<number, number>();
        for (const t of ctx.grid) {
          const v = series.get(t) ?? valueAt(by, t);
          if (v !== undefined && Number.isFinite(v)) out.set(t, v);
        }
        return out;
      };
      if (target.kind === 'array') return { kind: 'array', items: target.items.map(fill) };
      return { kind: 'series', points: fill(toSeries(target, ctx.grid)) };
    }
    case 'ABS':
    case 'CEIL':
    case 'FLOOR': {
      arity(1);
      const f = name === 'ABS' ? Math.abs : name === 'CEIL' ? Math.ceil : Math.floor;
      return map(evaluate(args[0] as Node, ctx), f);
    }
    case 'MIN':
    case 'MAX':
    case 'SUM':
    case 'AVG': {
      arity(1);
      const reduce = REDUCERS[name];
      const value = evaluate(args[0] as Node, ctx);
      if (value.kind === 'scalar') return value;
      // Of one series: a single number over the whole range.
      if (value.kind === 'series') return scalar(reduce([...value.points.values()]));
      // Of an array: a series, reduced per timestamp over the series that have a value there.
      const byTime = new Map<number, number[]>();
      for (const s of value.items) {
        for (const [t, v] of s) {
          const list = byTime.get(t);
          if (list) list.push(v);
          else byTime.set(t, [v]);
        }
      }
      const out = new Map<number, number>();
      for (const [t, vs] of byTime) out.set(t, reduce(vs));
      return { kind: 'series', points: out };
    }
    case 'DIFF':
    case 'RATE': {
      arity(1);
      const diff = (series: Series): Series => {
        const out = new Map<number, number>();
        const entries = sortedEntries(series);
        for (let i = 1; i < entries.length; i++) {
          const [t, v] = entries[i] as [number, number];
          const [tPrev, vPrev] = entries[i - 1] as [number, number];
          out.set(t, name === 'DIFF' ? v - vPrev : (v - vPrev) / ((t - tPrev) / 1000));
        }
        return out;
      };
      const value = evaluate(args[0] as Node, ctx);
      if (value.kind === 'array') return { kind: 'array', items: value.items.map(diff) };
      return { kind: 'series', points: diff(toSeries(value, ctx.grid)) };
    }
    case 'METRICS': {
      arity(0, 1);
      const filterNode = args[0];
      if (filterNode && filterNode.t !== 'str') throw new MathError('METRICS takes a string filter, e.g. METRICS("m")');
      return { kind: 'array', items: ctx.metrics(filterNode?.t === 'str' ? filterNode.value : '') };
    }
    default:
      throw new MathError(`the function ${name} is not supported by the simulator (supported: ${SUPPORTED_FUNCTIONS.join(', ')})`);
  }
}

const REDUCERS: Readonly<Record<'MIN' | 'MAX' | 'SUM' | 'AVG', (values: readonly number[]) => number>> = {
  MIN: (vs) => (vs.length ? Math.min(...vs) : NaN),
  MAX: (vs) => (vs.length ? Math.max(...vs) : NaN),
  SUM: (vs) => vs.reduce((a, b) => a + b, 0),
  AVG: (vs) => (vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : NaN),
};

function valueAt(value: MathValue, t: number): number | undefined {
  if (value.kind === 'scalar') return value.value;
  if (value.kind === 'series') return value.points.get(t);
  throw new MathError('an array of time series cannot be used here');
}

/** FILL(x, REPEAT): a gap takes the last value before it (or, at the start, the first after it). */
function fillRepeat(series: Series, grid: readonly number[]): Series {
  const out = new Map<number, number>();
  const first = sortedEntries(series)[0];
  let last: number | undefined;
  for (const t of grid) {
    const v = series.get(t);
    if (v !== undefined) last = v;
    const filled = v ?? last ?? first?.[1];
    if (filled !== undefined) out.set(t, filled);
  }
  return out;
}

/** FILL(x, LINEAR): gaps between two values are interpolated; gaps at the edges stay empty. */
function fillLinear(series: Series, grid: readonly number[]): Series {
  const out = new Map<number, number>(series);
  const entries = sortedEntries(series);
  for (let i = 1; i < entries.length; i++) {
    const [t0, v0] = entries[i - 1] as [number, number];
    const [t1, v1] = entries[i] as [number, number];
    for (const t of grid) if (t > t0 && t < t1) out.set(t, v0 + ((v1 - v0) * (t - t0)) / (t1 - t0));
  }
  return out;
}
