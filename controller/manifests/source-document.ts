/**
 * YAML documents parsed with their source positions, and the lookup from a field path back to the
 * line and column where it is written.
 */
import { loadAll } from 'js-yaml';
import { YAML_1_2_CORE_SCHEMA } from './yaml-core-schema.ts';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node } from 'yaml';
import type { PathSegment } from './diagnostics.ts';

/** Aliases allowed per document: plenty for real manifests, too few for an alias bomb. */
const MAX_ALIASES = 100;

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

/** A file's YAML syntax tree with line positions, built only when a position is needed. */
class SyntaxTree {
  readonly lines = new LineCounter();
  readonly docs: Document.Parsed[];

  constructor(text: string) {
    const docs = parseAllDocuments(text, { lineCounter: this.lines, prettyErrors: true, uniqueKeys: true });
    this.docs = Array.isArray(docs) ? docs : [];
  }
}

/** One YAML document of a file, able to say where each of its fields is written. */
export class SourceDocument {
  readonly file: SourceFile;
  /** 0-based position of the document in its file. */
  readonly index: number;
  /** The document as plain data; `undefined` when it could not be read (see `problems`). */
  readonly data: unknown;
  readonly problems: readonly SyntaxProblem[];
  private readonly syntaxTree: () => SyntaxTree;

  constructor(file: SourceFile, index: number, data: unknown, problems: readonly SyntaxProblem[], syntaxTree: () => SyntaxTree) {
    this.file = file;
    this.index = index;
    this.data = data;
    this.problems = problems;
    this.syntaxTree = syntaxTree;
  }

  private get doc(): Document.Parsed | undefined {
    return this.syntaxTree().docs[this.index];
  }

  private get lines(): LineCounter {
    return this.syntaxTree().lines;
  }

  /** Where the document starts (its first content line). */
  get start(): Position {
    const doc = this.doc;
    if (!doc) return { line: 1, column: 1 };
    return this.position((doc.contents?.range ?? doc.range)[0]);
  }

  /**
   * Where the field at `path` is written. With `at: 'key'` the position of the key (`desiredCont:`),
   * otherwise of the value. A path that does not exist resolves to its deepest existing parent.
   */
  locate(path: readonly PathSegment[], at: 'key' | 'value' = 'value'): Position {
    let node: Node | null = this.resolve(this.doc?.contents);
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
    const doc = this.doc;
    if (node && isAlias(node) && doc) return (node.resolve(doc) as Node | undefined) ?? node;
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
 * Anchors or aliases (`&name`, `*name`), or what may be one. js-yaml has no cap on alias expansion,
 * so such files take the \`yaml\` package's path, which has one. A false match only costs speed.
 */
const ANCHOR_OR_ALIAS = /(^|[\s[{,])[&*][^\s,[\]{}]/m;

/**
 * Parses every document of a file. Empty documents (only comments, or a trailing `---`) are
 * dropped. Never throws: syntax errors come back as `problems` on the document they belong to.
 *
 * The data comes from js-yaml, which reads about six times faster than the \`yaml\` package; the
 * \`yaml\` package, which keeps source positions, parses a file only when a position in it is
 * needed, or when js-yaml rejects it (its messages and recovery are the better ones), or when the
 * file uses anchors (it caps alias expansion). Both read YAML 1.2 with the core schema.
 */
export function parseSourceFile(file: SourceFile): SourceDocument[] {
  let tree: SyntaxTree | undefined;
  const syntaxTree = (): SyntaxTree => (tree ??= new SyntaxTree(file.text));
  if (!ANCHOR_OR_ALIAS.test(file.text)) {
    let fast: unknown[] | undefined;
    try {
      fast = loadAll(file.text, undefined, { filename: file.path, schema: YAML_1_2_CORE_SCHEMA });
    } catch {
      fast = undefined;
    }
    if (fast) {
      return fast.flatMap((data, index) =>
        data === null || data === undefined ? [] : [new SourceDocument(file, index, data, [], syntaxTree)],
      );
    }
  }
  const { docs, lines } = syntaxTree();
  const result: SourceDocument[] = [];
  docs.forEach((doc, index) => {
    const problems: SyntaxProblem[] = [
      ...doc.errors.map((e) => syntaxProblem('error', e.code, e.message, e.linePos?.[0], lines, e.pos[0])),
      ...doc.warnings.map((e) => syntaxProblem('warning', e.code, e.message, e.linePos?.[0], lines, e.pos[0])),
    ];
    let data: unknown = undefined;
    if (doc.errors.length === 0) {
      try {
        data = doc.toJS({ maxAliasCount: MAX_ALIASES });
      } catch (err) {
        const offset = doc.contents?.range[0] ?? 0;
        problems.push(syntaxProblem('error', 'YAML_CONVERSION', (err as Error).message, undefined, lines, offset));
      }
    }
    // An empty document (only comments, or a trailing `---`) is no document.
    if ((data === null || data === undefined) && problems.length === 0) return;
    result.push(new SourceDocument(file, index, data, problems, syntaxTree));
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
