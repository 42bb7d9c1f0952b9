/** A plan for people (text), for machines (JSON) and for a pull-request comment (Markdown). */
import type { FieldChange, PlanAction, PlanEntry } from './plan-types.ts';

const SYMBOL: Readonly<Record<PlanAction, string>> = { create: '+', update: '~', 'no-change': ' ', refused: '!', suspended: '=', orphaned: '?', prune: '-' };
const LABEL: Readonly<Record<PlanAction, string>> = { create: 'create', update: 'update', 'no-change': 'no change', refused: 'refused', suspended: 'suspended', orphaned: 'orphaned', prune: 'prune' };

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly noChange: number;
  readonly refused: number;
  readonly suspended: number;
  readonly orphaned: number;
  readonly prune: number;
}

export function summarize(entries: readonly PlanEntry[]): PlanSummary {
  const count = (a: PlanAction): number => entries.filter((e) => e.action === a).length;
  return {
    create: count('create'),
    update: count('update'),
    noChange: count('no-change'),
    refused: count('refused'),
    suspended: count('suspended'),
    orphaned: count('orphaned'),
    prune: count('prune'),
  };
}

function summaryLine(s: PlanSummary): string {
  const parts = [`${s.create} to create`, `${s.update} to update`, `${s.noChange} unchanged`];
  if (s.prune > 0) parts.push(`${s.prune} to prune`);
  if (s.orphaned > 0) parts.push(`${s.orphaned} orphaned`);
  if (s.refused > 0) parts.push(`${s.refused} refused`);
  if (s.suspended > 0) parts.push(`${s.suspended} suspended`);
  return `Plan: ${parts.join(', ')}.`;
}

/** A value as it reads in a diff: strings quoted, long values shortened, absence as (none). */
export function show(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

function changeLine(c: FieldChange): string {
  if (c.from === undefined) return `${c.path}: ${show(c.to)}`;
  if (c.to === undefined) return `${c.path}: ${show(c.from)} → (removed)`;
  return `${c.path}: ${show(c.from)} → ${show(c.to)}`;
}

export function renderText(entries: readonly PlanEntry[], calls?: Readonly<Record<string, number>>): string {
  const width = Math.max(0, ...entries.map((e) => e.key.length));
  const lines = [summaryLine(summarize(entries)), ''];
  for (const e of entries) {
    lines.push(`${SYMBOL[e.action]} ${e.key.padEnd(width)}  ${LABEL[e.action].padEnd(9)}  ${e.health.status}${e.health.message ? ` (${e.health.message})` : ''}`);
    if (e.reason !== undefined) lines.push(`    ${e.reason}: ${e.message ?? ''}`);
    else if (e.message !== undefined) lines.push(`    ${e.message}`);
    for (const c of e.changes) lines.push(`    ${changeLine(c)}`);
  }
  if (calls) lines.push('', `AWS calls: ${Object.entries(calls).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  return `${lines.join('\n')}\n`;
}

export function renderJson(entries: readonly PlanEntry[], calls?: Readonly<Record<string, number>>): string {
  return `${JSON.stringify({ summary: summarize(entries), entries, ...(calls ? { awsCalls: calls } : {}) }, null, 2)}\n`;
}

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** What a bot posts on a pull request: a summary table, then collapsible details per resource. */
export function renderMarkdown(entries: readonly PlanEntry[]): string {
  const s = summarize(entries);
  const out = [`### Berth plan`, '', `**${summaryLine(s).replace('Plan: ', '')}**`, '', '| Resource | Action | Health | Changes |', '| --- | --- | --- | --- |'];
  for (const e of entries) {
    out.push(`| \`${e.key}\` | ${e.action === 'no-change' ? 'no change' : `**${LABEL[e.action]}**`} | ${e.health.status} | ${e.reason ?? (e.changes.length > 0 ? String(e.changes.length) : '')} |`);
  }
  for (const e of entries.filter((x) => x.changes.length > 0 || x.message !== undefined)) {
    out.push('', `<details><summary><code>${e.key}</code>: ${LABEL[e.action]}${e.changes.length > 0 ? ` (${e.changes.length} ${e.changes.length === 1 ? 'change' : 'changes'})` : ''}</summary>`, '');
    if (e.reason !== undefined) out.push(`> **${e.reason}**: ${escapeCell(e.message ?? '')}`, '');
    else if (e.message !== undefined) out.push(`> ${escapeCell(e.message)}`, '');
    if (e.changes.length > 0) {
      out.push('```diff');
      for (const c of e.changes) {
        if (c.from !== undefined) out.push(`- ${c.path}: ${show(c.from)}`);
        if (c.to !== undefined) out.push(`+ ${c.path}: ${show(c.to)}`);
      }
      out.push('```', '');
    }
    out.push('</details>');
  }
  return `${out.join('\n')}\n`;
}
