/** A controller's status for people: the source, then one line per resource (`berth status`). */
import type { ControllerStatus } from './status.ts';

const ago = (iso: string | undefined, now: Date): string => {
  if (iso === undefined) return 'never';
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  return s < 90 ? `${s}s ago` : s < 5400 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};

export function renderStatus(status: ControllerStatus, now: Date): string {
  const lines = [
    `Source:   ${status.source.description}`,
    `Revision: ${status.source.revision?.slice(0, 12) ?? '(none yet)'}${status.source.revisionCommittedAt ? `, committed ${ago(status.source.revisionCommittedAt, now)}` : ''}; fetched ${ago(status.source.lastFetchAt, now)}`,
    `Role:     ${status.role}${status.ready ? '' : ' (not ready)'}`,
  ];
  const error = status.source.lastError;
  if (error) {
    lines.push('', `! ${error.reason}${error.revision ? ` at ${error.revision.slice(0, 12)}` : ''}: ${error.message}`);
    for (const p of error.problems) lines.push(`    ${p.file}:${p.line}:${p.column} ${p.rule} ${p.message}`);
  }
  const width = Math.max(8, ...status.resources.map((r) => `${r.kind}/${r.name}`.length));
  lines.push('', `${'RESOURCE'.padEnd(width)}  ${'SYNC'.padEnd(9)}  ${'HEALTH'.padEnd(11)}  MESSAGE`);
  for (const r of status.resources) {
    const message = r.lastError ? `${r.lastError.reason}: ${r.lastError.message}` : r.health.message;
    lines.push(`${`${r.kind}/${r.name}`.padEnd(width)}  ${r.syncStatus.padEnd(9)}  ${r.health.status.padEnd(11)}  ${message.length > 100 ? `${message.slice(0, 99)}…` : message}`);
  }
  return `${lines.join('\n')}\n`;
}
