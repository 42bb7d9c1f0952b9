// The pull-request side of `berth plan` in CI (docs/github-actions/berth-plan.yml):
//
//   tsx scripts/plan-comment.ts annotate validate.json
//     turns `berth validate --format json` into GitHub workflow commands (`::error file=…,line=…::`),
//     so every problem shows as an annotation on the changed manifest line.
//
//   tsx scripts/plan-comment.ts compose --validate validate.json --validate-exit-code 0 \
//       --plan plan.md --plan-stderr plan.err --plan-exit-code 2 > comment.md
//     writes the body of the one sticky comment the workflow keeps on the pull request: the hidden
//     marker that finds it again, then the plan's Markdown, or why there is no plan (invalid
//     manifests, an AWS error, a refusal), and a footer naming the commit and the workflow run.
//
// Missing or empty input files count as "that step did not run", so the comment always says what
// happened. Nothing here talks to GitHub: the workflow's github-script step posts the file.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Diagnostic } from '../controller/manifests/diagnostics.ts';
import { formatDiagnostic } from '../controller/manifests/report.ts';

/** The hidden line that marks Berth's comment, so each run updates it instead of adding another. */
export const MARKER = '<!-- berth-plan -->';

/** GitHub refuses comment bodies over 65,536 characters; keep clear of it. */
export const MAX_COMMENT_CHARS = 60_000;

/** What `berth validate --format json` prints. */
export interface ValidateReport {
  readonly valid: boolean;
  readonly files: number;
  readonly documents: number;
  readonly errors: number;
  readonly warnings: number;
  readonly diagnostics: readonly Diagnostic[];
}

export interface CommentInput {
  /** Exit code of `berth validate`; undefined when the step did not run. */
  readonly validateExitCode?: number | undefined;
  readonly validateReport?: ValidateReport | undefined;
  /** Exit code of `berth plan --detailed-exitcode`; undefined when the step did not run. */
  readonly planExitCode?: number | undefined;
  /** `berth plan --format markdown` stdout. */
  readonly planMarkdown?: string | undefined;
  readonly planStderr?: string | undefined;
  /** The pull request's head commit. */
  readonly headSha?: string | undefined;
  readonly runUrl?: string | undefined;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A fenced block that no backtick run inside `text` can close early. */
function fenced(text: string, info = 'text'): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text.replace(/\n+$/, '')}\n${fence}`;
}

/** `text` cut at a line boundary to at most `max` characters, saying how much was left out. */
function clipLines(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf('\n', max);
  const kept = text.slice(0, cut > 0 ? cut : max);
  return `${kept}\n… ${text.length - kept.length} more characters in the job log`;
}

/**
 * The plan's Markdown within `max` characters: cut before a `<details>` block (or at a line of the
 * table) so no fence or tag is left open, with a note that the rest is in the job log.
 */
export function clipPlan(markdown: string, max: number): string {
  if (markdown.length <= max) return markdown;
  const note = (left: number): string => `\n\n_… the plan is longer than a comment can hold: ${left} more characters are in the log of the workflow's "Plan" step._\n`;
  const room = max - note(markdown.length).length;
  let cut = markdown.lastIndexOf('\n\n<details>', room);
  if (cut <= 0) cut = markdown.lastIndexOf('\n', room);
  if (cut <= 0) cut = room;
  return `${markdown.slice(0, cut)}${note(markdown.length - cut)}`;
}

function diagnosticsBlock(diagnostics: readonly Diagnostic[], max: number): string {
  return fenced(clipLines(diagnostics.map(formatDiagnostic).join('\n\n'), max));
}

function footer(input: CommentInput): string {
  const parts: string[] = [];
  if (input.headSha !== undefined && input.headSha !== '') parts.push(`at \`${input.headSha.slice(0, 12)}\``);
  if (input.runUrl !== undefined && input.runUrl !== '') parts.push(`[workflow run](${input.runUrl})`);
  if (input.planExitCode !== undefined) parts.push(`\`berth plan\` exit ${input.planExitCode}`);
  return parts.length > 0 ? `<sub>${parts.join(' · ')}</sub>` : '';
}

/** True when `berth plan` produced a plan (exit 0 or 2 with its Markdown; 2 alone is a usage error). */
export function planSucceeded(exitCode: number | undefined, markdown: string | undefined): boolean {
  return (exitCode === 0 || exitCode === 2) && (markdown ?? '').startsWith('### Berth plan');
}

function body(input: CommentInput): string {
  const report = input.validateReport;
  const budget = MAX_COMMENT_CHARS - 1_000;

  if (input.validateExitCode !== undefined && input.validateExitCode !== 0) {
    if (report === undefined || report.diagnostics.length === 0) {
      return `### Berth plan\n\n**✗ \`berth validate\` failed (exit ${input.validateExitCode}) without a report; nothing was planned.** The workflow run's log says why.`;
    }
    const what = report.errors > 0
      ? `The manifests are invalid: ${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}`
      : `The manifests have ${plural(report.warnings, 'warning')}, which fail with --strict`;
    return `### Berth plan\n\n**✗ ${what}. Nothing was planned.** Each problem is also an annotation on its manifest line (see "Files changed").\n\n${diagnosticsBlock(report.diagnostics, budget)}`;
  }

  const markdown = input.planMarkdown ?? '';
  const stderr = (input.planStderr ?? '').trim();
  if (input.planExitCode === undefined) {
    return `### Berth plan\n\n**✗ The plan did not run** (an earlier step failed, such as the AWS credentials); the workflow run's log says why.`;
  }

  const parts: string[] = [];
  if (planSucceeded(input.planExitCode, markdown)) {
    parts.push(clipPlan(markdown.trimEnd(), budget));
  } else if (markdown.startsWith('### Berth plan')) {
    // Exit 1 with a plan: Berth refuses at least one resource; the rows say which and why.
    parts.push(clipPlan(markdown.trimEnd(), budget - 4_000));
    parts.push(`**✗ Berth refuses part of this plan** (the \`refused\` rows above say why), so the check fails.`);
    if (stderr !== '') parts.push(fenced(clipLines(stderr, 3_000)));
  } else {
    parts.push(`### Berth plan\n\n**✗ \`berth plan\` failed (exit ${input.planExitCode}); nothing was planned.**`);
    if (stderr !== '') parts.push(fenced(clipLines(stderr, budget)));
  }

  const warnings = report?.diagnostics.filter((d) => d.severity === 'warning') ?? [];
  if (warnings.length > 0) {
    parts.push(`<details><summary>${plural(warnings.length, 'validation warning')}</summary>\n\n${diagnosticsBlock(warnings, 8_000)}\n\n</details>`);
  }
  return parts.join('\n\n');
}

/** The whole comment: the marker, what happened, and a footer. */
export function composeComment(input: CommentInput): string {
  const end = footer(input);
  return `${MARKER}\n${body(input)}\n${end === '' ? '' : `\n${end}\n`}`;
}

/** Escapes for workflow command data (the message) and properties (file, title …). */
const escapeData = (text: string): string => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string): string => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One `::error` / `::warning` workflow command per diagnostic, then a summary line. */
export function annotations(report: ValidateReport): string[] {
  const lines = report.diagnostics.map((d) => {
    const subject = [d.document ? `${d.document.kind} ${d.document.name}` : '', d.path].filter(Boolean).join(' › ');
    const title = `[${d.rule}]${subject ? ` ${subject}` : ''}`;
    const message = [d.message, d.expected !== undefined ? `expected: ${d.expected}` : '', d.found !== undefined ? `found:    ${d.found}` : '', `fix:      ${d.fix}`].filter(Boolean).join('\n');
    const props = [`file=${escapeProperty(d.file)}`, `line=${d.line}`, `col=${d.column}`, `title=${escapeProperty(title)}`].join(',');
    return `::${d.severity === 'error' ? 'error' : 'warning'} ${props}::${escapeData(message)}`;
  });
  const scope = `${plural(report.files, 'file')}, ${plural(report.documents, 'document')}`;
  lines.push(report.valid ? `✓ ${scope} valid${report.warnings > 0 ? ` (${plural(report.warnings, 'warning')})` : ''}` : `✗ ${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')} in ${scope}`);
  return lines;
}

/** A file's text, or undefined when it is missing or empty (the step that writes it did not run). */
function readOptional(path: string | undefined): string | undefined {
  if (path === undefined || !existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  return text === '' ? undefined : text;
}

function readReport(path: string | undefined): ValidateReport | undefined {
  const text = readOptional(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as ValidateReport;
  } catch {
    return undefined;
  }
}

/** `""` (a step that did not run leaves its output empty) → undefined. */
function exitCode(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(`not an exit code: ${text}`);
  return n;
}

/** The head commit of the pull request from the event payload, else GITHUB_SHA (the merge commit). */
function headSha(env: NodeJS.ProcessEnv): string | undefined {
  const event = readOptional(env.GITHUB_EVENT_PATH);
  if (event !== undefined) {
    const sha = (JSON.parse(event) as { pull_request?: { head?: { sha?: string } } }).pull_request?.head?.sha;
    if (sha !== undefined) return sha;
  }
  return env.GITHUB_SHA;
}

function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  return server && repo && run ? `${server}/${repo}/actions/runs/${run}` : undefined;
}

export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const [command, ...rest] = argv;
  if (command === 'annotate') {
    const report = readReport(rest[0]);
    if (report === undefined) {
      process.stdout.write(`::error title=berth validate::berth validate wrote no report (${rest[0] ?? 'no file given'}); its own output above says why\n`);
      return 0;
    }
    process.stdout.write(`${annotations(report).join('\n')}\n`);
    return 0;
  }
  if (command === 'compose') {
    const { values } = parseArgs({
      args: rest,
      options: {
        validate: { type: 'string' },
        'validate-exit-code': { type: 'string' },
        plan: { type: 'string' },
        'plan-stderr': { type: 'string' },
        'plan-exit-code': { type: 'string' },
      },
    });
    process.stdout.write(
      composeComment({
        validateExitCode: exitCode(values['validate-exit-code']),
        validateReport: readReport(values.validate),
        planExitCode: exitCode(values['plan-exit-code']),
        planMarkdown: readOptional(values.plan),
        planStderr: readOptional(values['plan-stderr']),
        headSha: headSha(env),
        runUrl: runUrl(env),
      }),
    );
    return 0;
  }
  process.stderr.write('usage: plan-comment.ts annotate <validate.json>\n       plan-comment.ts compose [--validate F] [--validate-exit-code N] [--plan F] [--plan-stderr F] [--plan-exit-code N]\n');
  return 2;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
