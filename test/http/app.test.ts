/** The HTTP surface over a real server on a free port, with a real `BerthMetrics` and an in-memory view. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ControllerStatus } from '../../controller/engine/status.ts';
import { createApp } from '../../controller/http/app.ts';
import type { HttpLogEvent } from '../../controller/http/app.ts';
import { startHttpServer } from '../../controller/http/server.ts';
import type { HttpServerHandle } from '../../controller/http/server.ts';
import { BerthMetrics } from '../../controller/http/metrics.ts';
import { signBody } from '../../controller/http/webhook.ts';
import { REVISION, baseStatus, fakeView } from './fake-view.ts';
import type { FakeView } from './fake-view.ts';

const SECRET = 'webhook-secret-under-test';
const TOKEN = 'api-token-under-test';
/** The controller's tests bind loopback only, as startHttpServer's callers in the controller do. */
const LOOPBACK = { host: '127.0.0.1' } as const;

const METRIC_NAMES = [
  'berth_reconcile_total',
  'berth_reconcile_duration_seconds',
  'berth_resource_info',
  'berth_drift_detected_total',
  'berth_source_revision_info',
  'berth_source_last_fetch_timestamp_seconds',
  'berth_source_fetch_errors_total',
  'berth_revision_applied_seconds',
  'berth_aws_api_calls_total',
  'berth_aws_throttles_total',
  'berth_workqueue_depth',
  'berth_leader',
  'berth_revision_rejected_total',
];

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

async function errorOf(response: Response): Promise<ErrorBody['error']> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return ((await response.json()) as ErrorBody).error;
}

describe('HTTP app', () => {
  let view: FakeView;
  let metrics: BerthMetrics;
  let server: HttpServerHandle;
  let logs: HttpLogEvent[];

  beforeAll(async () => {
    view = fakeView(baseStatus);
    metrics = new BerthMetrics();
    logs = [];
    const app = createApp({ view, metrics, webhookSecret: SECRET, apiToken: TOKEN, log: (event) => logs.push(event) });
    server = await startHttpServer(app, 0, { host: '127.0.0.1' });
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    view.setStatus(baseStatus);
    view.calls.length = 0;
  });

  const url = (path: string): string => `${server.url}${path}`;

  describe('probes', () => {
    it('GET /healthz answers ok', async () => {
      const response = await fetch(url('/healthz'));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    it('GET /readyz is 200 when ready and 503 with a reason when not', async () => {
      const ready = await fetch(url('/readyz'));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', role: 'leader', revision: REVISION });

      const { revision: _revision, ...noRevision } = baseStatus.source;
      view.setStatus({ ...baseStatus, ready: false, role: 'standby', source: noRevision });
      const notReady = await fetch(url('/readyz'));
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({ status: 'not-ready', role: 'standby', reason: 'NoRevision' });
    });
  });

  describe('status API', () => {
    it('GET /api/v1/status is the whole status: source, its error with problems, role, resources', async () => {
      const response = await fetch(url('/api/v1/status'));
      expect(response.status).toBe(200);
      const body = (await response.json()) as ControllerStatus;
      expect(body).toEqual(JSON.parse(JSON.stringify(baseStatus)));
      expect(body.source.lastError?.problems[0]).toMatchObject({ file: 'manifests/api.yaml', line: 14, column: 7 });
      expect(body.resources.map((r) => `${r.kind}/${r.name}:${r.syncStatus}:${r.health.status}`)).toEqual([
        'Service/api:Synced:Healthy',
        'Alarm/api-cpu-high:OutOfSync:Degraded',
      ]);
    });

    it('GET /api/v1/resources/:kind/:name is that resource with its diff', async () => {
      const response = await fetch(url('/api/v1/resources/Alarm/api-cpu-high'));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ kind: 'Alarm', name: 'api-cpu-high', diff: [{ path: 'threshold', from: 90, to: 80 }] });
    });

    it('an unknown resource is a 404 JSON error', async () => {
      const response = await fetch(url('/api/v1/resources/Service/nope'));
      expect(response.status).toBe(404);
      expect(await errorOf(response)).toEqual({ code: 'ResourceNotFound', message: 'no resource Service/nope' });
    });

    it('an unknown route is a 404 JSON error', async () => {
      const response = await fetch(url('/nowhere'));
      expect(response.status).toBe(404);
      expect((await errorOf(response)).code).toBe('NotFound');
      const wrongMethod = await fetch(url('/api/v1/status'), { method: 'DELETE' });
      expect(wrongMethod.status).toBe(404);
    });
  });

  describe('metrics', () => {
    it('GET /metrics names every Berth metric and a resource_info series per resource', async () => {
      metrics.reconciled('Service', 'success', 0.42);
      metrics.awsCall('ecs', 'UpdateService', 'throttled');
      const response = await fetch(url('/metrics'));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      for (const name of METRIC_NAMES) expect(text, name).toContain(`# TYPE ${name} `);
      expect(text).toContain('berth_resource_info{kind="Service",name="api",sync_status="Synced",health_status="Healthy"} 1');
      expect(text).toContain('berth_resource_info{kind="Alarm",name="api-cpu-high",sync_status="OutOfSync",health_status="Degraded"} 1');
      expect(text).toContain(`berth_source_revision_info{revision="${REVISION}"} 1`);
      expect(text).toContain('berth_reconcile_total{kind="Service",result="success"} 1');
      expect(text).toContain('berth_aws_throttles_total{service="ecs"} 1');
      expect(text).toContain('process_cpu_user_seconds_total');
    });

    it('drops the series of a resource that is gone', async () => {
      view.setStatus({ ...baseStatus, resources: baseStatus.resources.slice(0, 1) });
      const text = await (await fetch(url('/metrics'))).text();
      expect(text).toContain('berth_resource_info{kind="Service",name="api"');
      expect(text).not.toContain('name="api-cpu-high"');
    });
  });

  describe('POST /api/v1/reconcile', () => {
    const reconcile = (authorization?: string): Promise<Response> =>
      fetch(url('/api/v1/reconcile'), { method: 'POST', headers: authorization === undefined ? {} : { authorization } });

    it('is 401 without a token', async () => {
      const response = await reconcile();
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await errorOf(response)).code).toBe('Unauthorized');
      expect(view.calls).toEqual([]);
    });

    it('is 401 with a wrong token or scheme', async () => {
      for (const header of ['Bearer wrong-token', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
        const response = await reconcile(header);
        expect(response.status, header).toBe(401);
      }
      expect(view.calls).toEqual([]);
    });

    it('is 202 with the right token and triggers a reconcile', async () => {
      const before = Date.now();
      const response = await reconcile(`Bearer ${TOKEN}`);
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ accepted: true });
      expect(view.calls.map((c) => c.reason)).toEqual(['api']);
      expect(view.calls[0]?.at.getTime()).toBeGreaterThanOrEqual(before - 1);
    });
  });

  describe('POST /hooks/git', () => {
    const push = JSON.stringify({ ref: 'refs/heads/main', after: REVISION, repository: { full_name: 'example/deploy' } });
    const hook = (body: string | Buffer, headers: Record<string, string>): Promise<Response> =>
      fetch(url('/hooks/git'), { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

    it('is 202 for a body signed in X-Hub-Signature-256 and triggers a webhook reconcile stamped at arrival', async () => {
      const before = Date.now();
      const response = await hook(push, { 'x-hub-signature-256': signBody(push, SECRET), 'x-github-event': 'push', 'x-github-delivery': 'd-1' });
      const after = Date.now();
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ accepted: true });
      expect(view.calls).toHaveLength(1);
      expect(view.calls[0]?.reason).toBe('webhook');
      expect(view.calls[0]?.at.getTime()).toBeGreaterThanOrEqual(before - 1);
      expect(view.calls[0]?.at.getTime()).toBeLessThanOrEqual(after);
      expect(logs).toContainEqual({ level: 'info', event: 'reconcile.requested', trigger: 'webhook', githubEvent: 'push', delivery: 'd-1' });
    });

    it('is 202 for a body signed in X-Berth-Signature, whatever its content type', async () => {
      const response = await hook('revision=main', { 'content-type': 'text/plain', 'x-berth-signature': signBody('revision=main', SECRET) });
      expect(response.status).toBe(202);
      expect(view.calls.map((c) => c.reason)).toEqual(['webhook']);
    });

    it('is 401 unsigned, malformed, or signed wrong, and never reconciles', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{}, 'SignatureMissing'],
        [{ 'x-hub-signature-256': 'sha256=nothex' }, 'SignatureMalformed'],
        [{ 'x-hub-signature-256': signBody(push, 'another-secret') }, 'SignatureMismatch'],
        [{ 'x-berth-signature': signBody(`${push} `, SECRET) }, 'SignatureMismatch'],
      ];
      for (const [headers, code] of cases) {
        const response = await hook(push, headers);
        expect(response.status, code).toBe(401);
        expect((await errorOf(response)).code).toBe(code);
      }
      expect(view.calls).toEqual([]);
    });

    it('is 413 for a body over the limit (1 MiB by default), and never reconciles', async () => {
      const big = Buffer.alloc(1024 * 1024 + 1, 'a');
      const response = await hook(big, { 'x-hub-signature-256': signBody(big, SECRET) });
      expect(response.status).toBe(413);
      expect((await errorOf(response)).code).toBe('PayloadTooLarge');
      expect(view.calls).toEqual([]);
    });

    it("answers GitHub's ping 200 without reconciling", async () => {
      const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
      const response = await hook(ping, { 'x-hub-signature-256': signBody(ping, SECRET), 'x-github-event': 'ping' });
      expect(response.status).toBe(200);
      expect(view.calls).toEqual([]);
    });

    it('never logs the body, the signature or the secret', () => {
      const logged = JSON.stringify(logs);
      expect(logged).not.toContain(SECRET);
      expect(logged).not.toContain('refs/heads/main');
      expect(logged).not.toContain('sha256=');
      expect(logged).not.toContain(TOKEN);
    });
  });

  describe('status page', () => {
    it('GET / is HTML with no scripts allowed', async () => {
      const response = await fetch(url('/'));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(await response.text()).toContain('data-resource="Alarm/api-cpu-high"');
    });
  });
});

describe('HTTP app without a webhook secret or an API token', () => {
  let view: FakeView;
  let server: HttpServerHandle;

  beforeAll(async () => {
    view = fakeView(baseStatus);
    server = await startHttpServer(createApp({ view, metrics: new BerthMetrics(), webhookSecret: '', log: () => undefined }), 0, LOOPBACK);
  });

  afterAll(async () => {
    await server.close();
  });

  it('refuses every webhook with 503, signed or not', async () => {
    const body = '{}';
    const attempts: Array<Record<string, string>> = [{}, { 'x-hub-signature-256': signBody(body, 'any') }];
    for (const headers of attempts) {
      const response = await fetch(`${server.url}/hooks/git`, { method: 'POST', body, headers });
      expect(response.status).toBe(503);
      expect((await errorOf(response)).code).toBe('WebhookSecretNotConfigured');
    }
    expect(view.calls).toEqual([]);
  });

  it('refuses the reconcile API with 503', async () => {
    const response = await fetch(`${server.url}/api/v1/reconcile`, { method: 'POST', headers: { authorization: 'Bearer anything' } });
    expect(response.status).toBe(503);
    expect((await errorOf(response)).message).toMatch(/no API token is configured/);
    expect(view.calls).toEqual([]);
  });
});

describe('reconcileNow is not awaited', () => {
  let server: HttpServerHandle | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers 202 while the reconcile is still running, and logs one that fails', async () => {
    const logs: HttpLogEvent[] = [];
    let rejectReconcile: (error: Error) => void = () => undefined;
    const view: FakeView = {
      ...fakeView(baseStatus),
      reconcileNow: () => new Promise<void>((_resolve, reject) => (rejectReconcile = reject)),
    };
    server = await startHttpServer(createApp({ view, metrics: new BerthMetrics(), apiToken: TOKEN, log: (e) => logs.push(e) }), 0, LOOPBACK);
    const response = await fetch(`${server.url}/api/v1/reconcile`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(202);
    rejectReconcile(new Error('git fetch failed'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(logs).toContainEqual({ level: 'error', event: 'reconcile.failed', trigger: 'api', error: 'Error: git fetch failed' });
  });
});

describe('startHttpServer', () => {
  it('closes idempotently, waiting for a request in flight', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const server = await startHttpServer((_req, res) => {
      void slow.then(() => res.end('done'));
    }, 0, LOOPBACK);
    const inFlight = fetch(server.url).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const first = server.close();
    const second = server.close();
    expect(second).toBe(first);
    release();
    expect(await inFlight).toBe('done');
    await first;
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('cuts connections that outlast the close timeout', async () => {
    const server = await startHttpServer(() => undefined, 0, { host: '127.0.0.1', closeTimeoutMs: 100 });
    const hanging = fetch(server.url).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await hanging).toBeInstanceOf(Error);
  });
});
