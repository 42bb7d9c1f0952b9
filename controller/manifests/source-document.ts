/**
 * YAML documents parsed with their source positions, and the lookup from a field path back to the
 * line and column where it is written.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node } from 'yaml';
import type { PathSegment } from './diagnostics.ts';

/** A manifest file's content, from disk or from a git tree. */
export interface SourceFile {
  /** The path shown in messages. */
  readonly path: string;
  readonly text: string;
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A YAML syntax problem in a file. */
export interface SyntaxProblem extends Position {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly message: string;
}

/** One YAML document of a file, kept with its syntax tree for locating fields. */
export class SourceDocument {
  readonly file: SourceFile;
  /** 0-based position of the document in its file. */
  readonly index: number;
  /** The document as plain data; `undefined` when it could not be converted (see `problems`). */
  readonly data: unknown;
  readonly problems: readonly SyntaxProblem[];
  private readonly doc: Document.Parsed;
  private readonly lines: LineCounter;

  constructor(
    file: SourceFile,
    index: number,
    doc: Document.Parsed,
    lines: LineCounter,
    data: unknown,
    problems: readonly SyntaxProblem[],
  ) {
    this.file = file;
    this.index = index;
    this.doc = doc;
    this.lines = lines;
    this.data = data;
    this.problems = problems;
  }

  /** Where the document starts (its first content line). */
  get start(): Position {
    const range = this.doc.contents?.range ?? this.doc.range;
    return this.position(range[0]);
  }

  /**
   * Where the field at `path` is written. With `at: 'key'` the position of the key (`desiredCont:`),
   * otherwise of the value. A path that does not exist resolves to its deepest existing parent.
   */
  locate(path: readonly PathSegment[], at: 'key' | 'value' = 'value'): Position {
    let node: Node | null = this.resolve(this.doc.contents);
    let keyNode: Node | null = null;
    for (const segment of path) {
      const next = node ? this.child(node, segment) : undefined;
      if (!next) break;
      keyNode = next.key;
      node = this.resolve(next.value);
    }
    const target = at === 'key' && keyNode ? keyNode : (node ?? keyNode);
    if (!target?.range) return this.start;
    return this.position(target.range[0]);
  }

  /** The text of a 1-based line of the file, without its line break. */
  lineText(line: number): string {
    const start = this.lines.lineStarts[line - 1];
    if (start === undefined) return '';
    const end = this.file.text.indexOf('\n', start);
    return this.file.text.slice(start, end === -1 ? undefined : end).replace(/\r$/, '');
  }

  private child(node: Node, segment: PathSegment): { key: Node | null; value: Node | null } | undefined {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyString(p.key) === String(segment));
      if (!pair) return undefined;
      return { key: asNode(pair.key), value: asNode(pair.value) ?? asNode(pair.key) };
    }
    if (isSeq(node) && typeof segment === 'number') {
      const item = asNode(node.items[segment]);
      return item ? { key: item, value: item } : undefined;
    }
    return undefined;
  }

  private resolve(node: Node | null | undefined): Node | null {
    if (node && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? node;
    return node ?? null;
  }

  private position(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line: Math.max(line, 1), column: Math.max(col, 1) };
  }
}

function asNode(value: unknown): Node | null {
  return value !== null && typeof value === 'object' && 'range' in value ? (value as Node) : null;
}

function keyString(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/**
 * Parses every document of a file. Empty documents (only comments, or a trailing `---`) are
 * dropped. Never throws: syntax errors come back as `problems` on the document they belong to.
 */
export function parseSourceFile(file: SourceFile): SourceDocument[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(file.text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const parsed: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  const result: SourceDocument[] = [];
  parsed.forEach((doc, index) => {
    const problems: SyntaxProblem[] = [
      ...doc.errors.map((e) => syntaxProblem('error', e.code, e.message, e.linePos?.[0], lines, e.pos[0])),
      ...doc.warnings.map((e) => syntaxProblem('warning', e.code, e.message, e.linePos?.[0], lines, e.pos[0])),
    ];
    let data: unknown = undefined;
    if (doc.errors.length === 0) {
      try {
        data = doc.toJS({ maxAliasCount: 100 });
      } catch (err) {
        const offset = doc.contents?.range[0] ?? 0;
        problems.push(syntaxProblem('error', 'YAML_CONVERSION', (err as Error).message, undefined, lines, offset));
      }
    }
    // An empty document (only comments, or a trailing `---`) is no document.
    if ((data === null || data === undefined) && problems.length === 0) return;
    result.push(new SourceDocument(file, index, doc, lines, data, problems));
  });
  return result;
}

function syntaxProblem(
  severity: 'error' | 'warning',
  code: string,
  message: string,
  linePos: { line: number; col: number } | undefined,
  lines: LineCounter,
  offset: number,
): SyntaxProblem {
  const pos = linePos ?? lines.linePos(offset);
  // The yaml package appends " at line L, column C:" and a code frame; we print our own.
  const text = message.split(/ at line \d+, column \d+/)[0] ?? message;
  return { severity, code, message: text.trim(), line: Math.max(pos.line, 1), column: Math.max(pos.col, 1) };
}
