/** A problem found in the manifests, located precisely enough to fix without searching. */

export type Severity = 'error' | 'warning';

/** One segment of a field path: an object key or an array index. */
export type PathSegment = string | number;

export interface DocumentRef {
  readonly kind: string;
  readonly name: string;
}

export interface Diagnostic {
  readonly severity: Severity;
  /** A stable identifier of the rule that fired, e.g. `schema/unknown-field`, `secrets/plaintext`. */
  readonly rule: string;
  /** The file, as given on the command line or relative to the working directory. */
  readonly file: string;
  /** 1-based line and column. */
  readonly line: number;
  readonly column: number;
  /** The document the problem is in, when its kind and name could be read. */
  readonly document?: DocumentRef | undefined;
  /** 1-based position of the document in its file. */
  readonly documentIndex: number;
  /** The field path inside the document (`spec.taskDefinition.containerDefinitions[0].image`); empty for the whole document. */
  readonly path: string;
  /** What is wrong, in one sentence. */
  readonly message: string;
  readonly expected?: string | undefined;
  readonly found?: string | undefined;
  /** How to fix it. */
  readonly fix: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Renders a path as people write it: `spec.containerDefinitions[0]["berth.dev/suspend"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Splits an ajv instance path (a JSON pointer such as `/spec/containerDefinitions/0`) into segments. */
export function parsePointer(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : key;
    });
}

/** Describes a value found in a manifest for a message: `a number (8080)`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `a string (${JSON.stringify(truncate(value, 60))})`;
    case 'number':
      return `a number (${value})`;
    case 'boolean':
      return `a boolean (${value})`;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `Service api`, or `document 2` when the kind and name could not be read. */
export function documentLabel(d: Pick<Diagnostic, 'document' | 'documentIndex'>): string {
  return d.document ? `${d.document.kind} ${d.document.name}` : `document ${d.documentIndex}`;
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const d of diagnostics) {
    if (d.severity === 'error') errors++;
    else warnings++;
  }
  return { errors, warnings };
}
