/**
 * The API's Prometheus metrics: its own registry (never prom-client's global one, so two apps in one
 * process, or one per test, do not share counters), the default process metrics, and one typed
 * method for each thing the API counts. Label sets are bounded: methods are the ones Node parses,
 * routes are the route patterns (never raw paths, which carry document ids), reasons are a union.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Why an upload was refused before anything was stored or queued. */
export type RejectionReason = 'too_large' | 'unsupported_type' | 'no_file' | 'malformed';

const REJECTION_REASONS: readonly RejectionReason[] = ['too_large', 'unsupported_type', 'no_file', 'malformed'];

/**
 * Request durations: fine steps between 1 and 3 s, so that a p95 near the 2 s objective is read
 * from the buckets instead of being smeared over one wide bucket.
 */
export const DURATION_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 5, 10];

/** The route label of a request that matched no route (a 404). */
export const UNMATCHED_ROUTE = 'unmatched';

export interface ApiMetricsOptions {
  /** Collect prom-client's default process metrics (CPU, memory, event loop lag) too. @defaultValue true */
  readonly defaultMetrics?: boolean;
}

export class ApiMetrics {
  /** The registry `/metrics` renders. */
  readonly register: Registry;

  private readonly requestsTotal: Counter<'method' | 'route' | 'status'>;
  private readonly requestDuration: Histogram<'method' | 'route'>;
  private readonly documentsEnqueued: Counter;
  private readonly documentsRejected: Counter<'reason'>;

  constructor(options: ApiMetricsOptions = {}) {
    const register = new Registry();
    this.register = register;
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register });

    this.requestsTotal = new Counter({
      name: 'api_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [register],
    });
    this.requestDuration = new Histogram({
      name: 'api_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer being sent (uploads include reading the body), in seconds, by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: [...DURATION_BUCKETS],
      registers: [register],
    });
    this.documentsEnqueued = new Counter({
      name: 'api_documents_enqueued_total',
      help: 'Documents stored and queued for OCR (a re-upload of a document that already has a job is not counted).',
      registers: [register],
    });
    this.documentsRejected = new Counter({
      name: 'api_documents_rejected_total',
      help: 'Uploads refused before anything was stored, by reason (too_large, unsupported_type, no_file, malformed).',
      labelNames: ['reason'],
      registers: [register],
    });
    // Every reason from the start, so a rate over a reason that has not happened yet reads 0, not "no data".
    for (const reason of REJECTION_REASONS) this.documentsRejected.inc({ reason }, 0);
  }

  /** One answered request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requestsTotal.inc({ method, route, status: String(status) });
    this.requestDuration.observe({ method, route }, seconds);
  }

  documentEnqueued(): void {
    this.documentsEnqueued.inc();
  }

  documentRejected(reason: RejectionReason): void {
    this.documentsRejected.inc({ reason });
  }

  get contentType(): string {
    return this.register.contentType;
  }

  /** The exposition text. */
  render(): Promise<string> {
    return this.register.metrics();
  }
}
