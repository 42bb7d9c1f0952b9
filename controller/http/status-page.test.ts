import { describe, expect, it } from 'vitest';
import type { ControllerStatus, ResourceStatus } from '../engine/status.ts';
import { MAX_EVENTS, escapeHtml, formatAge, renderStatusPage, shortRevision } from './status-page.ts';

const NOW = new Date('2025-06-01T12:00:00Z');
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();

function resource(overrides: Partial<ResourceStatus> = {}): ResourceStatus {
  return {
    kind: 'Service',
    name: 'api',
    syncStatus: 'Synced',
    health: { status: 'Healthy', message: '' },
    conditions: [],
    events: [],
    diff: [],
    ...overrides,
  };
}

function status(resources: readonly ResourceStatus[], overrides: Partial<ControllerStatus> = {}): ControllerStatus {
  return { source: { description: 'dir /srv/deploy:manifests' }, role: 'single', ready: true, resources, ...overrides };
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(escapeHtml('plain text')).toBe('plain text');
  });
});

describe('renderStatusPage escaping', () => {
  const hostile = '<script>alert(1)</script>';
  const page = renderStatusPage(
    status(
      [
        resource({
          name: `api${hostile}`,
          kind: 'Service"onmouseover="x',
          health: { status: 'Degraded', message: `ALARM ${hostile}` },
          lastError: { reason: 'ApplyFailed', message: hostile, time: ago(5) },
          lastAppliedRevision: `"><img src=x onerror=alert(1)>`,
          events: [{ time: ago(5), type: 'Warning', reason: 'X<b>', message: hostile }],
        }),
      ],
      {
        source: {
          description: `git ${hostile}`,
          revision: hostile,
          lastError: {
            reason: 'ValidationFailed',
            message: hostile,
            time: ago(5),
            problems: [{ file: `${hostile}.yaml`, line: 1, column: 2, rule: hostile, message: hostile, fix: hostile }],
          },
        },
      },
    ),
    NOW,
  );

  it('never lets a resource name, message, revision or problem become markup', () => {
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>');
    expect(page).not.toContain('"onmouseover="');
    expect(page).toContain('api&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('ALARM &lt;script&gt;');
    expect(page).toContain('data-resource="Service&quot;onmouseover=&quot;x/api&lt;script&gt;');
  });

  it('has no script at all, and no external asset', () => {
    expect(page).not.toMatch(/<(script|link|img|iframe)\b/i);
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });
});

describe('renderStatusPage content', () => {
  it('shows the short revision, its age, badges, problems and refreshes itself', () => {
    const page = renderStatusPage(
      status(
        [
          resource({ health: { status: 'Progressing', message: 'Waiting for rollout to finish: 1 of 3 tasks running' }, syncStatus: 'OutOfSync' }),
          resource({ kind: 'Alarm', name: 'cpu', health: { status: 'Missing', message: 'not found' }, syncStatus: 'Unknown', orphaned: true }),
        ],
        {
          role: 'standby',
          ready: false,
          source: {
            description: 'git https://example.com/deploy.git#main:manifests',
            revision: 'abcdef0123456789abcdef0123456789abcdef01',
            revisionCommittedAt: ago(180),
            lastFetchAt: ago(42),
            lastError: {
              reason: 'ValidationFailed',
              message: 'rejected',
              time: ago(10),
              problems: [{ file: 'manifests/api.yaml', line: 12, column: 5, rule: 'schema', message: 'cpu must be a number' }],
            },
          },
        },
      ),
      NOW,
    );
    expect(page).toContain('<meta http-equiv="refresh" content="5">');
    expect(page).toContain('>abcdef0</code>');
    expect(page).toContain('committed <time datetime="2025-06-01T11:57:00.000Z" title="2025-06-01T11:57:00.000Z">3 minutes ago</time>');
    expect(page).toContain('42 seconds ago');
    expect(page).toContain('data-role="standby"');
    expect(page).toContain('data-ready="false"');
    expect(page).toContain('manifests/api.yaml:12:5</code> <span class="rule">schema</span> — cpu must be a number');
    expect(page).toContain('<span class="badge info" data-testid="health-badge">Progressing</span>');
    expect(page).toContain('<span class="badge warn" data-testid="sync-badge">OutOfSync</span>');
    expect(page).toContain('<span class="badge warn" data-testid="health-badge">Missing</span>');
    expect(page).toContain('<span class="badge muted" data-testid="sync-badge">Unknown</span>');
    expect(page).toContain('data-testid="orphaned"');
  });

  it('says so when there are no resources, no events, no revision', () => {
    const page = renderStatusPage(status([]), NOW);
    expect(page).toContain('No resources yet.');
    expect(page).toContain('No events yet.');
    expect(page).toContain('none yet');
    expect(page).not.toContain('data-testid="source-error"');
  });

  it('merges events across resources newest first, at most MAX_EVENTS', () => {
    const many = (name: string, offset: number): ResourceStatus =>
      resource({
        name,
        events: Array.from({ length: 40 }, (_, i) => ({ time: ago(offset + i * 2), type: 'Normal' as const, reason: 'Tick', message: `${name} ${i}` })),
      });
    const page = renderStatusPage(status([many('a', 0), many('b', 1)]), NOW);
    const messages = [...page.matchAll(/<span class="message">([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(messages).toHaveLength(MAX_EVENTS);
    expect(messages.slice(0, 4)).toEqual(['a 0', 'b 0', 'a 1', 'b 1']);
  });
});

describe('formatAge and shortRevision', () => {
  it('reads like a person would say it', () => {
    expect(formatAge(ago(0), NOW)).toBe('just now');
    expect(formatAge(ago(-30), NOW)).toBe('just now');
    expect(formatAge(ago(12), NOW)).toBe('12 seconds ago');
    expect(formatAge(ago(60), NOW)).toBe('1 minute ago');
    expect(formatAge(ago(3 * 60 + 59), NOW)).toBe('3 minutes ago');
    expect(formatAge(ago(2 * 3600), NOW)).toBe('2 hours ago');
    expect(formatAge(ago(86_400), NOW)).toBe('1 day ago');
    expect(formatAge('not a time', NOW)).toBe('unknown');
  });

  it('shortens a git SHA and leaves other revision ids alone', () => {
    expect(shortRevision('abcdef0123456789abcdef0123456789abcdef01')).toBe('abcdef0');
    expect(shortRevision('local-0123456789ab')).toBe('local-0123456789ab');
  });
});
