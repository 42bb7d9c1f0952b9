/**
 * Berth's HTTP surface (express): health and readiness probes, Prometheus metrics, the JSON status
 * API, a manual reconcile trigger, the signed git webhook and the status page. It only reads the
 * controller through `ControllerView` and triggers it through `reconcileNow`, never waiting for a
 * reconcile to finish. Every error answer is JSON `{ error: { code, message } }`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { ErrorRequestHandler, Express, Request, Response } from 'express';
import type { ControllerView } from '../engine/status.ts';
import type { BerthMetrics } from './metrics.ts';
import { errorText, HttpError } from './server.ts';
import { renderStatusPage } from './status-page.ts';
import { signatureHeader, verifySignature } from './webhook.ts';

/** What the HTTP surface reports; never carries a request body, a signature, a token or the secret. */
export type HttpLogEvent =
  | {
      readonly level: 'info';
      readonly event: 'reconcile.requested';
      readonly trigger: 'api' | 'webhook';
      /** GitHub's `X-GitHub-Event` and `X-GitHub-Delivery`, when given and plain. */
      readonly githubEvent?: string;
      readonly delivery?: string;
    }
  | { readonly level: 'info'; readonly event: 'webhook.ping'; readonly delivery?: string }
  | {
      readonly level: 'warn';
      readonly event: 'request.rejected';
      readonly method: string;
      readonly path: string;
      readonly status: number;
      readonly code: string;
    }
  | { readonly level: 'error'; readonly event: 'reconcile.failed'; readonly trigger: 'api' | 'webhook'; readonly error: string }
  | { readonly level: 'error'; readonly event: 'request.failed'; readonly method: string; readonly path: string; readonly error: string };

export interface HttpAppOptions {
  readonly view: ControllerView;
  readonly metrics: BerthMetrics;
  /**
   * The shared secret webhook senders sign with. Without one (or an empty one) `POST /hooks/git`
   * answers 503 to everything: an unsigned webhook would let anyone trigger fetches.
   */
  readonly webhookSecret?: string;
  /** The bearer token `POST /api/v1/reconcile` requires; without one that endpoint answers 503. */
  readonly apiToken?: string;
  /**
   * The largest webhook body accepted, in bytes; a larger one is answered 413.
   * @defaultValue 1 MiB
   */
  readonly maxBodyBytes?: number;
  /**
   * Where the HTTP surface reports requests it rejected, reconciles it triggered and failures.
   * @defaultValue errors written to stderr as JSON lines, the rest dropped
   */
  readonly log?: (event: HttpLogEvent) => void;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;


function defaultLog(event: HttpLogEvent): void {
  if (event.level === 'error') process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

export function createApp(options: HttpAppOptions): Express {
  const { view, metrics } = options;
  const log = options.log ?? defaultLog;
  const webhookSecret = options.webhookSecret === '' ? undefined : options.webhookSecret;
  const apiToken = options.apiToken === '' ? undefined : options.apiToken;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Any content type: GitHub signs the raw body whether it sends JSON or a form.
  const rawBody = express.raw({ type: () => true, limit: maxBodyBytes });
  /** When each request arrived, before its body was read: a webhook's receipt time. */
  const arrivals = new WeakMap<Request, Date>();

  /** Starts a reconcile without waiting for it; a failure is logged, never an unhandled rejection. */
  const trigger = (reason: 'api' | 'webhook', at: Date): void => {
    view.reconcileNow(reason, at).catch((error: unknown) => {
      log({ level: 'error', event: 'reconcile.failed', trigger: reason, error: errorText(error) });
    });
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    arrivals.set(req, new Date());
    res.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    next();
  });

  // Liveness: answers while the process can serve requests at all.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Readiness: the controller says whether it is ready (has a revision in force, knows its role).
  app.get('/readyz', (_req, res) => {
    const { ready, role, source } = view.status();
    if (ready) {
      res.json({ status: 'ready', role, revision: source.revision });
      return;
    }
    const [reason, message] =
      source.revision === undefined
        ? ['NoRevision', source.lastError?.message ?? 'the source has not produced a valid revision yet']
        : ['NotReady', 'the controller is not ready yet'];
    res.status(503).json({ status: 'not-ready', role, reason, message });
  });

  app.get('/metrics', async (_req, res) => {
    const { resources, source } = view.status();
    metrics.setResources(resources);
    metrics.setSource(source);
    const text = await metrics.render();
    res.type(metrics.contentType).send(text);
  });

  app.get('/api/v1/status', (_req, res) => {
    res.json(view.status());
  });

  app.get('/api/v1/resources/:kind/:name', (req, res) => {
    const { kind, name } = req.params;
    const resource = view.resource(kind, name);
    if (resource === undefined) throw new HttpError(404, 'ResourceNotFound', `no resource ${kind}/${name}`);
    res.json(resource);
  });

  app.post('/api/v1/reconcile', (req, res) => {
    if (apiToken === undefined) {
      throw new HttpError(503, 'ApiTokenNotConfigured', 'the reconcile API is disabled: no API token is configured (set one to enable it)');
    }
    const given = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
    if (given === undefined || !tokensMatch(given, apiToken)) {
      res.set('WWW-Authenticate', 'Bearer realm="berth"');
      throw new HttpError(401, 'Unauthorized', given === undefined ? 'an Authorization: Bearer token is required' : 'the bearer token is not valid');
    }
    trigger('api', arrivals.get(req) ?? new Date());
    log({ level: 'info', event: 'reconcile.requested', trigger: 'api' });
    res.status(202).json({ accepted: true });
  });

  app.post(
    '/hooks/git',
    // Refused before the body is read: nothing can be verified without a secret.
    (_req, _res, next) => {
      if (webhookSecret === undefined) {
        throw new HttpError(503, 'WebhookSecretNotConfigured', 'the webhook is disabled: no webhook secret is configured');
      }
      next();
    },
    rawBody,
    (req, res) => {
      const body: unknown = req.body;
      // No body at all (no Content-Length, no chunks) leaves req.body unset: verify the empty body.
      const raw = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const verdict = verifySignature(raw, signatureHeader(req.headers), webhookSecret ?? '');
      switch (verdict) {
        case 'ok':
          break;
        case 'missing':
          throw new HttpError(401, 'SignatureMissing', 'an X-Hub-Signature-256 or X-Berth-Signature header is required');
        case 'malformed':
          throw new HttpError(401, 'SignatureMalformed', 'the signature must be sha256= followed by 64 hex digits');
        case 'mismatch':
          throw new HttpError(401, 'SignatureMismatch', 'the signature does not match the body');
      }
      const githubEvent = plainHeader(req.get('x-github-event'));
      const delivery = plainHeader(req.get('x-github-delivery'));
      // GitHub pings a hook when it is created: answer, but there is nothing to fetch.
      if (githubEvent === 'ping') {
        log({ level: 'info', event: 'webhook.ping', delivery });
        res.status(200).json({ pong: true });
        return;
      }
      trigger('webhook', arrivals.get(req) ?? new Date());
      log({ level: 'info', event: 'reconcile.requested', trigger: 'webhook', githubEvent, delivery });
      res.status(202).json({ accepted: true });
    },
  );

  app.get('/', (_req, res) => {
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    res.type('html').send(renderStatusPage(view.status(), new Date()));
  });

  app.use((req, _res) => {
    throw new HttpError(404, 'NotFound', `no route for ${req.method} ${req.path}`);
  });

  const onError: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const answer = toHttpError(error);
    if (answer.status >= 500 && !(error instanceof HttpError)) {
      log({ level: 'error', event: 'request.failed', method: req.method, path: req.path, error: errorText(error) });
    } else if (answer.status !== 404) {
      log({ level: 'warn', event: 'request.rejected', method: req.method, path: req.path, status: answer.status, code: answer.code });
    }
    sendError(res, answer);
  };
  app.use(onError);

  return app;
}

function sendError(res: Response, error: HttpError): void {
  res.status(error.status).json({ error: { code: error.code, message: error.message } });
}

/** Our own errors as they are; body-parser's (http-errors with a `status`) by status; anything else a 500 that says nothing about its cause. */
function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') {
    const { status } = error;
    if (status === 413) return new HttpError(413, 'PayloadTooLarge', 'the request body is larger than this endpoint accepts');
    if (status >= 400 && status < 500) {
      const message = 'expose' in error && error.expose === true && error instanceof Error ? error.message : 'the request could not be read';
      return new HttpError(status, 'BadRequest', message);
    }
  }
  return new HttpError(500, 'InternalError', 'internal error');
}

/** Constant-time comparison of a presented token with the configured one (hashed first, so lengths never leak or differ). */
function tokensMatch(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** A header value fit for a log line (an event name, a delivery GUID), or undefined. */
function plainHeader(value: string | undefined): string | undefined {
  return value !== undefined && /^[\w.-]{1,64}$/.test(value) ? value : undefined;
}
