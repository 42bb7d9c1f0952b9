/**
 * The API's HTTP server: listens, and closes gracefully (stop accepting, let requests in flight
 * finish, cut what is left after a deadline). Kept here rather than shared with the controller: the
 * API is deployed on its own and depends on nothing of the controller.
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
