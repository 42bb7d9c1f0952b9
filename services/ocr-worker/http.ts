/** The worker's small HTTP port: `/health` and `/metrics` (jobs, processing time, execution provider). */
import type { RequestListener } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { startHttpServer } from '../../controller/http/server.ts';
import type { HttpServerHandle } from '../../controller/http/server.ts';
import type { JobMetrics } from './worker.ts';

export class WorkerMetrics implements JobMetrics {
  readonly register = new Registry();
  private readonly processedTotal: Counter;
  private readonly failedTotal: Counter<'reason'>;
  private readonly seconds: Histogram;
  private readonly provider: Gauge<'provider'>;

  constructor() {
    collectDefaultMetrics({ register: this.register });
    this.processedTotal = new Counter({ name: 'ocr_jobs_processed_total', help: 'OCR jobs completed.', registers: [this.register] });
    this.failedTotal = new Counter({ name: 'ocr_jobs_failed_total', help: 'OCR job attempts that failed, by reason (undecodable and missing are not retried).', labelNames: ['reason'], registers: [this.register] });
    this.seconds = new Histogram({ name: 'ocr_processing_seconds', help: 'Time to OCR one document (storage read, detection, recognition).', buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32], registers: [this.register] });
    this.provider = new Gauge({ name: 'ocr_execution_provider', help: 'The onnxruntime execution provider in use (1 for the provider label in use).', labelNames: ['provider'], registers: [this.register] });
  }

  processed(seconds: number): void {
    this.processedTotal.inc();
    this.seconds.observe(seconds);
  }

  failed(reason: 'undecodable' | 'missing' | 'error'): void {
    this.failedTotal.inc({ reason });
  }

  setProvider(provider: 'cuda' | 'cpu'): void {
    this.provider.reset();
    this.provider.set({ provider }, 1);
  }
}

export interface WorkerHealth {
  /** The provider in use, whether Redis answers, and task protection's state. */
  (): Promise<{ ok: boolean; body: Record<string, unknown> }>;
}

/** Serves /health and /metrics on `port` (0: a free one), on every interface. */
export function startWorkerHttp(port: number, metrics: WorkerMetrics, health: WorkerHealth): Promise<HttpServerHandle> {
  const listener: RequestListener = (req, res) => {
    void (async () => {
      try {
        if (req.method === 'GET' && req.url === '/health') {
          const { ok, body } = await health();
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        } else if (req.method === 'GET' && req.url === '/metrics') {
          res.writeHead(200, { 'content-type': metrics.register.contentType }).end(await metrics.register.metrics());
        } else {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NotFound', message: `no route ${req.method ?? ''} ${req.url ?? ''}` } }));
        }
      } catch (err) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'InternalError', message: err instanceof Error ? err.message : String(err) } }));
      }
    })();
  };
  // Health and metrics answer at once: a short drain is enough on SIGTERM.
  return startHttpServer(listener, port, { host: '0.0.0.0', closeTimeoutMs: 1000 });
}
