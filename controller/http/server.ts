/**
 * An HTTP server that listens, and closes gracefully (stop accepting, let requests in flight finish,
 * cut what is left after a deadline); and the JSON error every express app here answers with. Shared
 * by the controller, the document API and the OCR worker's health port.
 */
import { createServer } from 'node:http';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpServerHandle {
  /** The port the server is bound to (the free one chosen when 0 was asked for). */
  readonly port: number;
  /** `http://host:port`, with `localhost` for a server on every interface. */
  readonly url: string;
  /** Stops accepting connections and resolves once open requests have been answered (connections cut after the timeout); idempotent. */
  close(): Promise<void>;
}

export interface HttpServerOptions {
  /** The address to listen on. @defaultValue every interface */
  readonly host?: string;
  /**
   * How long `close()` waits for requests in flight before cutting their connections.
   * @defaultValue 10000
   */
  readonly closeTimeoutMs?: number;
}

/** Listens on `port` (0: a free port) and resolves once bound. */
export async function startHttpServer(app: RequestListener, port: number, options: HttpServerOptions = {}): Promise<HttpServerHandle> {
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const host = options.host === undefined || options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    port: bound,
    url: `http://${urlHost}:${bound}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        // Keep-alive connections that finish their request go idle: close them as they do.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const deadline = setTimeout(() => server.closeAllConnections(), closeTimeoutMs);
        sweep.unref();
        deadline.unref();
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/** An error answered as `{ error: { code, message } }` with `status`. */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  readonly status: number;
  /** PascalCase, e.g. `SignatureMismatch`, `UnsupportedMediaType`. */
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** An error's name and message, for a log line (never a request body or a header). */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
