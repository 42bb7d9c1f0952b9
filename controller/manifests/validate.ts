/**
 * Validation of a revision's manifests: YAML syntax, then each kind's JSON Schema, then the
 * semantic checks across documents. Every problem of the run is reported, not only the first.
 */
import { countBySeverity, formatPath } from './diagnostics.ts';
import type { Diagnostic, DocumentRef } from './diagnostics.ts';
import { API_VERSION, KINDS, isKind } from './kinds.ts';
import { SchemaChecker } from './schema-check.ts';
import { parseSourceFile } from './source-document.ts';
import type { SourceDocument, SourceFile } from './source-document.ts';
import { suggest } from './suggest.ts';
import type { Manifest, ManifestEntry } from './types.ts';
import type { CheckContext, Declaration, Finding } from './checks/context.ts';
import { SEMANTIC_CHECKS } from './checks/index.ts';

export interface ValidationResult {
  /** No errors (warnings allowed). */
  readonly valid: boolean;
  readonly fileCount: number;
  readonly documentCount: number;
  /** The documents that passed their schema; the whole set is usable only when `valid`. */
  readonly manifests: readonly ManifestEntry[];
  /** Errors and warnings, ordered by file, line and column. */
  readonly diagnostics: readonly Diagnostic[];
}

let sharedChecker: SchemaChecker | undefined;

/** Validates the manifest files of one revision. Never throws on any content. */
export function validateSources(files: readonly SourceFile[], checker?: SchemaChecker): ValidationResult {
  const schemas = checker ?? (sharedChecker ??= new SchemaChecker());
  const diagnostics: Diagnostic[] = [];
  const manifests: ManifestEntry[] = [];
  const declarations: Declaration[] = [];
  let documentCount = 0;

  const emit = (source: SourceDocument, ref: DocumentRef | undefined, finding: Finding): void => {
    const pos = finding.path.length === 0 ? source.start : source.locate(finding.path, finding.at ?? 'value');
    diagnostics.push({
      severity: finding.severity ?? 'error',
      rule: finding.rule,
      file: source.file.path,
      line: pos.line,
      column: pos.column,
      document: ref,
      documentIndex: source.index + 1,
      path: formatPath(finding.path),
      message: finding.message,
      expected: finding.expected,
      found: finding.found,
      fix: finding.fix,
    });
  };

  for (const file of files) {
    for (const source of parseSourceFile(file)) {
      documentCount++;
      for (const p of source.problems) {
        diagnostics.push({
          severity: p.severity,
          rule: p.severity === 'error' ? 'yaml/syntax' : 'yaml/warning',
          file: file.path,
          line: p.line,
          column: p.column,
          documentIndex: source.index + 1,
          path: '',
          message: `YAML: ${p.message}`,
          fix: 'correct the YAML syntax at this position (indentation, quoting, a missing `:` or `-`)',
        });
      }
      if (source.data === undefined) continue;
      const entry = checkDocument(source, schemas, emit);
      if (entry.ref) declarations.push({ ref: entry.ref, source });
      if (entry.manifest) manifests.push({ manifest: entry.manifest, source });
    }
  }

  if (documentCount === 0) {
    diagnostics.push({
      severity: 'error',
      rule: 'source/empty',
      file: files[0]?.path ?? '.',
      line: 1,
      column: 1,
      documentIndex: 1,
      path: '',
      message: files.length === 0 ? 'no manifest files (.yaml or .yml) were found' : 'the manifest files hold no documents',
      fix: 'add manifests, or point the command at the directory that holds them',
    });
  }

  runSemanticChecks(manifests, declarations, emit);
  return finish(files, documentCount, manifests, diagnostics);
}

function checkDocument(
  source: SourceDocument,
  schemas: SchemaChecker,
  emit: (source: SourceDocument, ref: DocumentRef | undefined, finding: Finding) => void,
): { ref?: DocumentRef; manifest?: Manifest } {
  const data = source.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    emit(source, undefined, {
      rule: 'document/not-a-mapping',
      path: [],
      message: 'a manifest document must be a mapping with `apiVersion`, `kind`, `metadata` and `spec`',
      found: Array.isArray(data) ? 'a list' : `a scalar (${JSON.stringify(data)})`,
      fix: `start the document with \`apiVersion: ${API_VERSION}\` and \`kind: <kind>\``,
    });
    return {};
  }
  const { kind, metadata } = data as { kind?: unknown; metadata?: { name?: unknown } };
  const name = metadata !== null && typeof metadata === 'object' ? metadata.name : undefined;
  const kinds = KINDS.map((k) => k.kind);
  if (!isKind(kind)) {
    const hint = typeof kind === 'string' ? suggest(kind, kinds) : undefined;
    emit(source, undefined, {
      rule: 'document/kind',
      path: kind === undefined ? [] : ['kind'],
      message: kind === undefined ? 'the document has no `kind`' : `unknown kind ${JSON.stringify(kind)}`,
      expected: kinds.join(', '),
      found: kind === undefined ? 'nothing' : JSON.stringify(kind),
      fix: hint !== undefined ? `did you mean \`kind: ${hint}\`?` : `set \`kind:\` to one of ${kinds.join(', ')}`,
    });
    return {};
  }
  const ref = typeof name === 'string' ? { kind, name } : undefined;
  const problems = schemas.check(kind, data);
  for (const p of problems) emit(source, ref, p);
  return problems.length === 0 ? { ref, manifest: data as Manifest } : ref ? { ref } : {};
}

function runSemanticChecks(
  manifests: readonly ManifestEntry[],
  declarations: readonly Declaration[],
  emit: (source: SourceDocument, ref: DocumentRef | undefined, finding: Finding) => void,
): void {
  const ctx: CheckContext = {
    manifests,
    declarations,
    of: <K extends Manifest['kind']>(kind: K) =>
      manifests.filter((e): e is ManifestEntry<Extract<Manifest, { kind: K }>> => e.manifest.kind === kind),
    declared: (kind, name) => declarations.find((d) => d.ref.kind === kind && d.ref.name === name),
    report: (target, finding) => {
      const ref = 'ref' in target ? target.ref : { kind: target.manifest.kind, name: target.manifest.metadata.name };
      emit(target.source, ref, finding);
    },
  };
  for (const check of SEMANTIC_CHECKS) check(ctx);
}

function finish(
  files: readonly SourceFile[],
  documentCount: number,
  manifests: readonly ManifestEntry[],
  diagnostics: Diagnostic[],
): ValidationResult {
  const order = new Map(files.map((f, i) => [f.path, i]));
  diagnostics.sort(
    (a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.line - b.line || a.column - b.column,
  );
  return {
    valid: countBySeverity(diagnostics).errors === 0,
    fileCount: files.length,
    documentCount,
    manifests,
    diagnostics,
  };
}
