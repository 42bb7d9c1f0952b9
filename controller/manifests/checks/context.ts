/** What a semantic check sees and how it reports. */
import type { DocumentRef, PathSegment, Severity } from '../diagnostics.ts';
import type { SourceDocument } from '../source-document.ts';
import type { Manifest, ManifestEntry } from '../types.ts';

/** A problem a check found in one document, before it is placed in a file. */
export interface Finding {
  readonly rule: string;
  /** @defaultValue `'error'` */
  readonly severity?: Severity;
  readonly path: readonly PathSegment[];
  /** Point at the key of the field rather than its value. @defaultValue `'value'` */
  readonly at?: 'key' | 'value';
  readonly message: string;
  readonly expected?: string;
  readonly found?: string;
  readonly fix: string;
}

/** A document that declares a kind and a name, whether or not it passed its schema. */
export interface Declaration {
  readonly ref: DocumentRef;
  readonly source: SourceDocument;
}

export interface CheckContext {
  /** The documents that passed their schema, in source order. */
  readonly manifests: readonly ManifestEntry[];
  /** Every document that declares a kind and a name, valid or not, in source order. */
  readonly declarations: readonly Declaration[];
  /** The valid manifests of one kind. */
  of<K extends Manifest['kind']>(kind: K): ManifestEntry<Extract<Manifest, { kind: K }>>[];
  /** Whether a document of this kind and name exists in the source (valid or not). */
  declared(kind: Manifest['kind'], name: string): Declaration | undefined;
  report(target: ManifestEntry | Declaration, finding: Finding): void;
}

export type Check = (ctx: CheckContext) => void;

/** `manifests/ocr.yaml:12`, for messages that point at another place. */
export function where(source: SourceDocument, path: readonly PathSegment[] = [], at: 'key' | 'value' = 'key'): string {
  const pos = path.length === 0 ? source.start : source.locate(path, at);
  return `${source.file.path}:${pos.line}`;
}
