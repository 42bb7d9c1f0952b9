/**
 * The ECS cluster query language, as memberOf placement constraints and ListContainerInstances'
 * filter use it: `attribute:ecs.instance-type =~ g5.*`, `ec2InstanceId in (i-1, i-2)`,
 * `task:group == service:web`, combined with `and`, `or`, `not` and parentheses.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html
 */

type Operator = '==' | '!=' | '>' | '>=' | '<' | '<=' | '=~' | '!~' | 'in' | 'not_in';

export type Expression =
  | { readonly kind: 'and' | 'or'; readonly left: Expression; readonly right: Expression }
  | { readonly kind: 'not'; readonly operand: Expression }
  | { readonly kind: 'compare'; readonly subject: string; readonly op: Operator; readonly values: readonly string[] }
  | { readonly kind: 'exists'; readonly subject: string };

/** What an expression is evaluated against (a container instance). */
export interface ExpressionTarget {
  /** `attribute:NAME`, `ec2InstanceId`, `agentConnected`, `runningTasksCount`, `registeredAt`…; undefined when absent. */
  value(subject: string): string | undefined;
  /** The task groups (`service:NAME`, `family:NAME`) of the tasks it runs. */
  taskGroups(): Iterable<string>;
}

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

const WORD_OPERATORS: Readonly<Record<string, Operator | 'exists'>> = {
  equals: '==',
  not_equals: '!=',
  greater_than: '>',
  greater_than_equal: '>=',
  less_than: '<',
  less_than_equal: '<=',
  matches: '=~',
  not_matches: '!~',
  in: 'in',
  not_in: 'not_in',
  exists: 'exists',
};
const SYMBOL_OPERATORS = new Set(['==', '!=', '>', '>=', '<', '<=', '=~', '!~']);
const TOKEN = /\s*(\(|\)|,|==|!=|>=|<=|=~|!~|>|<|[^\s(),=!<>~]+)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const match = TOKEN.exec(text);
    if (!match?.[1]) throw new ExpressionError(`unexpected character at ${TOKEN.lastIndex} in "${text}"`);
    tokens.push(match[1]);
  }
  return tokens;
}

/** Recursive descent over the tokens: or → and → not → term. */
class Parser {
  private readonly tokens: string[];
  private pos = 0;

  constructor(tokens: string[]) {
    this.tokens = tokens;
  }

  parse(): Expression {
    const expr = this.or();
    if (this.pos < this.tokens.length) throw new ExpressionError(`unexpected "${this.tokens[this.pos]}"`);
    return expr;
  }

  private peek(): string | undefined {
    return this.tokens[this.pos];
  }

  private next(): string {
    const token = this.tokens[this.pos++];
    if (token === undefined) throw new ExpressionError('unexpected end of expression');
    return token;
  }

  private isWord(word: string): boolean {
    return this.peek()?.toLowerCase() === word;
  }

  private or(): Expression {
    let left = this.and();
    while (this.isWord('or')) {
      this.pos++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  private and(): Expression {
    let left = this.not();
    while (this.isWord('and')) {
      this.pos++;
      left = { kind: 'and', left, right: this.not() };
    }
    return left;
  }

  private not(): Expression {
    if (this.isWord('not')) {
      this.pos++;
      return { kind: 'not', operand: this.not() };
    }
    if (this.peek() === '(') {
      this.pos++;
      const inner = this.or();
      if (this.next() !== ')') throw new ExpressionError('missing ")"');
      return inner;
    }
    return this.term();
  }

  private term(): Expression {
    const subject = this.next();
    const raw = this.next();
    const op = SYMBOL_OPERATORS.has(raw) ? (raw as Operator) : WORD_OPERATORS[raw.toLowerCase()];
    if (!op) throw new ExpressionError(`unknown operator "${raw}"`);
    if (op === 'exists') return { kind: 'exists', subject };
    if (op === 'in' || op === 'not_in') return { kind: 'compare', subject, op, values: this.list() };
    const value = this.next();
    if (value === '(' || value === ')' || value === ',') throw new ExpressionError(`missing value after "${raw}"`);
    return { kind: 'compare', subject, op, values: [value] };
  }

  private list(): string[] {
    if (this.next() !== '(') throw new ExpressionError('expected "(" after in');
    const values: string[] = [];
    for (;;) {
      values.push(this.next());
      const sep = this.next();
      if (sep === ')') return values;
      if (sep !== ',') throw new ExpressionError(`expected "," or ")", got "${sep}"`);
    }
  }
}

const cache = new Map<string, Expression>();

/** Parses an expression (cached: services place with the same few expressions again and again). */
export function parseExpression(text: string): Expression {
  const cached = cache.get(text);
  if (cached) return cached;
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new ExpressionError('empty expression');
  const expr = new Parser(tokens).parse();
  if (cache.size > 1000) cache.clear();
  cache.set(text, expr);
  return expr;
}

/** `g5.*` matches `g5.xlarge`: `*` is the only wildcard, and the whole value must match. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${source}$`).test(value);
}

function compareValue(actual: string, op: Operator, expected: string): boolean {
  const numeric = actual !== '' && expected !== '' && !Number.isNaN(Number(actual)) && !Number.isNaN(Number(expected));
  const order = numeric ? Number(actual) - Number(expected) : actual.localeCompare(expected);
  switch (op) {
    case '==':
    case 'in':
      return actual === expected;
    case '!=':
    case 'not_in':
      return actual !== expected;
    case '=~':
      return wildcardMatch(expected, actual);
    case '!~':
      return !wildcardMatch(expected, actual);
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
  }
}

/** A comparison: negative operators hold when no value matches, positive ones when any does. */
function evaluateCompare(actuals: readonly string[], op: Operator, values: readonly string[]): boolean {
  const negative = op === '!=' || op === 'not_in' || op === '!~';
  const positiveOp: Operator = op === '!=' ? '==' : op === 'not_in' ? 'in' : op === '!~' ? '=~' : op;
  const matched = actuals.some((actual) => values.some((value) => compareValue(actual, positiveOp, value)));
  return negative ? !matched : matched;
}

export function evaluate(expr: Expression, target: ExpressionTarget): boolean {
  switch (expr.kind) {
    case 'and':
      return evaluate(expr.left, target) && evaluate(expr.right, target);
    case 'or':
      return evaluate(expr.left, target) || evaluate(expr.right, target);
    case 'not':
      return !evaluate(expr.operand, target);
    case 'exists':
      return target.value(expr.subject) !== undefined;
    case 'compare': {
      // task:group compares against every task the instance runs (task affinity).
      if (expr.subject === 'task:group') return evaluateCompare([...target.taskGroups()], expr.op, expr.values);
      const actual = target.value(expr.subject);
      if (actual === undefined) return expr.op === '!=' || expr.op === 'not_in' || expr.op === '!~';
      return evaluateCompare([actual], expr.op, expr.values);
    }
  }
}
