/**
 * The status page served at `GET /`: one server-rendered HTML document (inline CSS, no scripts, no
 * external assets) that reloads itself every few seconds. It shows the source and its revision,
 * the source's last error, every resource's sync and health state, and the recent events.
 * Every interpolated string goes through `escapeHtml`. Elements carry `data-testid` and `data-*`
 * hooks so a browser test can read the state without depending on the wording.
 */
import type { HealthStatus } from '../engine/plan-types.ts';
import type { ControllerStatus, ResourceEvent, ResourceStatus, SourceStatus, SyncStatus } from '../engine/status.ts';

/** How often the page reloads itself, in seconds. */
export const REFRESH_SECONDS = 5;

/** The most events the page lists (merged across resources, newest first). */
export const MAX_EVENTS = 50;

type Tone = 'ok' | 'info' | 'warn' | 'bad' | 'muted';

const SYNC_TONE: Readonly<Record<SyncStatus, Tone>> = { Synced: 'ok', OutOfSync: 'warn', Unknown: 'muted' };

const HEALTH_TONE: Readonly<Record<HealthStatus, Tone>> = {
  Healthy: 'ok',
  Progressing: 'info',
  Degraded: 'bad',
  Suspended: 'muted',
  Missing: 'warn',
  Unknown: 'muted',
};

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `text` safe to put in HTML element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/** A git SHA shortened to 7 characters, as `git log --oneline` shows it; any other revision id as is. */
export function shortRevision(revision: string): string {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(revision) ? revision.slice(0, 7) : revision;
}

/** How long before `now` the ISO time `iso` was: `just now`, `1 minute ago`, `3 hours ago`; `unknown` when it does not parse. */
export function formatAge(iso: string, now: Date): string {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return 'unknown';
  // A time slightly ahead of ours (another task's clock) reads as now, not as a negative age.
  const seconds = Math.max(0, Math.floor((now.getTime() - then) / 1000));
  if (seconds < 5) return 'just now';
  const units: ReadonlyArray<readonly [string, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
    ['second', 1],
  ];
  for (const [unit, size] of units) {
    const count = Math.floor(seconds / size);
    if (count >= 1) return `${count} ${unit}${count === 1 ? '' : 's'} ago`;
  }
  return 'just now';
}

/** The whole HTML document for `status` as of `now`. */
export function renderStatusPage(status: ControllerStatus, now: Date): string {
  const { source, resources } = status;
  const title = source.revision === undefined ? 'Berth' : `Berth · ${shortRevision(source.revision)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${renderHeader(status, now)}
<main>
${source.lastError === undefined ? '' : renderSourceError(source.lastError, now)}
${renderResources(resources, now)}
${renderEvents(resources, now)}
</main>
<footer>Rendered ${escapeHtml(now.toISOString())} · refreshes every ${REFRESH_SECONDS} s · <a href="/api/v1/status">JSON</a> · <a href="/metrics">metrics</a></footer>
</body>
</html>
`;
}

function renderHeader(status: ControllerStatus, now: Date): string {
  const { source, role, ready } = status;
  return `<header data-testid="source">
<h1>Berth <span class="badge ${ready ? 'ok' : 'warn'}" data-testid="ready" data-ready="${ready}">${ready ? 'Ready' : 'Not ready'}</span></h1>
<dl class="facts">
<div><dt>Source</dt><dd data-testid="source-description">${escapeHtml(source.description)}</dd></div>
<div><dt>Revision</dt><dd data-testid="revision"${source.revision === undefined ? '' : ` data-revision="${escapeHtml(source.revision)}"`}>${renderRevision(source, now)}</dd></div>
<div><dt>Last fetch</dt><dd data-testid="last-fetch">${renderTime(source.lastFetchAt, now, 'never')}</dd></div>
<div><dt>Role</dt><dd data-testid="role" data-role="${escapeHtml(role)}">${escapeHtml(roleText(role))}</dd></div>
</dl>
</header>`;
}

function renderRevision(source: SourceStatus, now: Date): string {
  if (source.revision === undefined) return '<span class="muted">none yet</span>';
  const sha = `<code title="${escapeHtml(source.revision)}">${escapeHtml(shortRevision(source.revision))}</code>`;
  if (source.revisionCommittedAt === undefined) return sha;
  return `${sha} <span class="muted">committed ${renderTime(source.revisionCommittedAt, now, 'unknown')}</span>`;
}

function roleText(role: ControllerStatus['role']): string {
  switch (role) {
    case 'leader':
      return 'leader (applies changes)';
    case 'standby':
      return 'standby (read-only)';
    case 'single':
      return 'single';
  }
}

/** `<time>` with the age as text and the exact time as its tooltip. */
function renderTime(iso: string | undefined, now: Date, absent: string): string {
  if (iso === undefined) return `<span class="muted">${escapeHtml(absent)}</span>`;
  return `<time datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${escapeHtml(formatAge(iso, now))}</time>`;
}

function renderSourceError(error: NonNullable<SourceStatus['lastError']>, now: Date): string {
  const revision = error.revision === undefined ? '' : ` at <code title="${escapeHtml(error.revision)}">${escapeHtml(shortRevision(error.revision))}</code>`;
  const problems = error.problems.map(
    (p) => `<li data-testid="problem" data-file="${escapeHtml(p.file)}" data-line="${p.line}">
<code class="location">${escapeHtml(`${p.file}:${p.line}:${p.column}`)}</code> <span class="rule">${escapeHtml(p.rule)}</span> — ${escapeHtml(p.message)}${
      p.fix === undefined ? '' : `<div class="fix">Fix: ${escapeHtml(p.fix)}</div>`
    }</li>`,
  );
  return `<section class="source-error" data-testid="source-error" data-reason="${escapeHtml(error.reason)}">
<h2>Source error${revision}: <span class="reason">${escapeHtml(error.reason)}</span> <span class="muted small">${renderTime(error.time, now, 'unknown')}</span></h2>
<p class="message">${escapeHtml(error.message)}</p>
${problems.length === 0 ? '' : `<ul class="problems">\n${problems.join('\n')}\n</ul>`}
</section>`;
}

function renderResources(resources: readonly ResourceStatus[], now: Date): string {
  const count = (predicate: (r: ResourceStatus) => boolean): number => resources.filter(predicate).length;
  const summary = [
    `${resources.length} resource${resources.length === 1 ? '' : 's'}`,
    `${count((r) => r.syncStatus === 'Synced')} Synced`,
    `${count((r) => r.syncStatus === 'OutOfSync')} OutOfSync`,
    `${count((r) => r.health.status === 'Healthy')} Healthy`,
    `${count((r) => r.health.status === 'Degraded')} Degraded`,
  ].join(' · ');
  const rows =
    resources.length === 0
      ? '<tr><td colspan="6" class="empty">No resources yet.</td></tr>'
      : resources.map((r) => renderResourceRow(r, now)).join('\n');
  return `<section data-testid="resources">
<h2>Resources <span class="muted small" data-testid="summary">${escapeHtml(summary)}</span></h2>
<table>
<thead><tr><th>Kind</th><th>Name</th><th>Sync</th><th>Health</th><th>Applied revision</th><th>Last error</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>`;
}

function renderResourceRow(r: ResourceStatus, now: Date): string {
  const key = `${r.kind}/${r.name}`;
  const orphaned = r.orphaned === true ? ' <span class="badge muted" data-testid="orphaned">orphaned</span>' : '';
  const reconciled = r.lastReconciledAt === undefined ? '' : `<div class="muted small">reconciled ${renderTime(r.lastReconciledAt, now, '')}</div>`;
  const applied = r.lastAppliedRevision === undefined
    ? '<span class="muted">—</span>'
    : `<code title="${escapeHtml(r.lastAppliedRevision)}">${escapeHtml(shortRevision(r.lastAppliedRevision))}</code>`;
  const lastError = r.lastError === undefined
    ? '<span class="muted">—</span>'
    : `<span class="reason">${escapeHtml(r.lastError.reason)}</span>: ${escapeHtml(r.lastError.message)} <span class="muted small">${renderTime(r.lastError.time, now, '')}</span>`;
  const healthMessage = r.health.message === '' ? '' : `<div class="health-message" data-testid="health-message">${escapeHtml(r.health.message)}</div>`;
  return `<tr data-testid="resource" data-resource="${escapeHtml(key)}" data-sync="${escapeHtml(r.syncStatus)}" data-health="${escapeHtml(r.health.status)}">
<td class="kind">${escapeHtml(r.kind)}</td>
<td class="name"><strong>${escapeHtml(r.name)}</strong>${orphaned}${reconciled}</td>
<td><span class="badge ${SYNC_TONE[r.syncStatus]}" data-testid="sync-badge">${escapeHtml(r.syncStatus)}</span></td>
<td><span class="badge ${HEALTH_TONE[r.health.status]}" data-testid="health-badge">${escapeHtml(r.health.status)}</span>${healthMessage}</td>
<td data-testid="applied-revision">${applied}</td>
<td class="error" data-testid="last-error">${lastError}</td>
</tr>`;
}

function renderEvents(resources: readonly ResourceStatus[], now: Date): string {
  const events: Array<{ readonly key: string; readonly event: ResourceEvent; readonly at: number }> = [];
  for (const r of resources) {
    for (const event of r.events) events.push({ key: `${r.kind}/${r.name}`, event, at: Date.parse(event.time) || 0 });
  }
  // Newest first; the sort is stable, so a resource's own order is kept among equal times.
  events.sort((a, b) => b.at - a.at);
  const items = events.slice(0, MAX_EVENTS).map(
    ({ key, event }) => `<li data-testid="event" data-type="${escapeHtml(event.type)}" data-event-resource="${escapeHtml(key)}">
<span class="when">${renderTime(event.time, now, 'unknown')}</span>
<span class="badge ${event.type === 'Warning' ? 'warn' : 'muted'}">${escapeHtml(event.type)}</span>
<span class="resource">${escapeHtml(key)}</span>
<span class="reason">${escapeHtml(event.reason)}</span>
<span class="message">${escapeHtml(event.message)}</span>
</li>`,
  );
  return `<section data-testid="events">
<h2>Recent events</h2>
${items.length === 0 ? '<p class="empty">No events yet.</p>' : `<ol class="events">\n${items.join('\n')}\n</ol>`}
</section>`;
}

const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: var(--fg); background: #fff; }
header { padding: 16px 24px; background: var(--bg); border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 8px; font-size: 20px; display: flex; align-items: center; gap: 10px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
main { padding: 0 24px 24px; }
footer { padding: 12px 24px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); }
a { color: #0969da; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--bg); padding: 1px 4px; border-radius: 4px; }
.facts { display: flex; flex-wrap: wrap; gap: 8px 32px; margin: 0; }
.facts dt { color: var(--muted); font-size: 12px; }
.facts dd { margin: 0; }
.muted { color: var(--muted); }
.small { font-size: 12px; font-weight: normal; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; line-height: 20px; border: 1px solid transparent; white-space: nowrap; }
.badge.ok { color: #1a7f37; background: #dafbe1; border-color: #aceebb; }
.badge.info { color: #0969da; background: #ddf4ff; border-color: #b6e3ff; }
.badge.warn { color: #9a6700; background: #fff8c5; border-color: #f5e0a0; }
.badge.bad { color: #cf222e; background: #ffebe9; border-color: #ffcecb; }
.badge.muted { color: #59636e; background: #eaeef2; border-color: #d1d9e0; }
table { width: 100%; border-collapse: separate; border-spacing: 0; border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
th, td { text-align: left; vertical-align: top; padding: 8px 12px; border-bottom: 1px solid var(--line); }
th { background: var(--bg); font-size: 12px; color: var(--muted); font-weight: 600; }
tbody tr:last-child td { border-bottom: none; }
td.kind { color: var(--muted); white-space: nowrap; }
td.error { max-width: 360px; }
.health-message { margin-top: 4px; color: var(--muted); font-size: 12px; max-width: 360px; }
tr[data-health="Degraded"] .health-message { color: #cf222e; }
.reason { font-weight: 600; }
.empty { color: var(--muted); text-align: center; padding: 16px; }
.source-error { margin-top: 16px; padding: 12px 16px; border: 1px solid #ffcecb; background: #fff5f5; border-radius: 6px; }
.source-error h2 { margin: 0 0 4px; color: #cf222e; }
.source-error h2 code { color: var(--fg); font-weight: normal; }
.source-error .message { margin: 0 0 8px; }
.problems { margin: 0; padding-left: 20px; }
.problems li { margin: 4px 0; }
.problems .rule { color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.fix { color: var(--muted); font-size: 12px; }
.events { list-style: none; margin: 0; padding: 0; border: 1px solid var(--line); border-radius: 6px; }
.events li { display: grid; grid-template-columns: 110px 80px minmax(140px, 200px) minmax(120px, 160px) 1fr; gap: 12px; padding: 6px 12px; border-bottom: 1px solid var(--line); align-items: baseline; }
.events .badge { justify-self: start; }
.events .reason { font-weight: 600; font-size: 13px; }
.events li:last-child { border-bottom: none; }
.events .when { color: var(--muted); font-size: 12px; }
.events .resource { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
`;
