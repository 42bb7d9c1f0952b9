/** Renders a validation result for people (text) and for machines (JSON). */
import { countBySeverity, documentLabel } from './diagnostics.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { ValidationResult } from './validate.ts';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * One block per problem: `file:line:column severity [rule] Kind name › path`, then what is wrong,
 * what was expected and found, and the fix. The source line itself is not echoed: it may hold the
 * very secret a diagnostic is about.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const subject = [documentLabel(d), d.path].filter(Boolean).join(' › ');
  const lines = [`${d.file}:${d.line}:${d.column} ${d.severity} [${d.rule}]${subject ? ` ${subject}` : ''}`, `  ${d.message}`];
  if (d.expected !== undefined) lines.push(`  expected: ${d.expected}`);
  if (d.found !== undefined) lines.push(`  found:    ${d.found}`);
  lines.push(`  fix:      ${d.fix}`);
  return lines.join('\n');
}

export function formatText(result: ValidationResult, options: { readonly strict?: boolean } = {}): string {
  const blocks = result.diagnostics.map(formatDiagnostic);
  const { errors, warnings } = countBySeverity(result.diagnostics);
  const scope = `${plural(result.fileCount, 'file')}, ${plural(result.documentCount, 'document')}`;
  const failed = errors > 0 || (options.strict === true && warnings > 0);
  const summary = failed
    ? `✗ ${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${scope}${errors === 0 ? ' (warnings fail with --strict)' : ''}`
    : `✓ ${scope} valid${warnings > 0 ? ` (${plural(warnings, 'warning')})` : ''}`;
  return [...blocks, summary].join('\n\n') + '\n';
}

export function formatJson(result: ValidationResult, options: { readonly strict?: boolean } = {}): string {
  const { errors, warnings } = countBySeverity(result.diagnostics);
  return (
    JSON.stringify(
      {
        valid: errors === 0 && !(options.strict === true && warnings > 0),
        files: result.fileCount,
        documents: result.documentCount,
        errors,
        warnings,
        diagnostics: result.diagnostics,
      },
      null,
      2,
    ) + '\n'
  );
}
