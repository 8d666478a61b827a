/**
 * The ops HTTP server: /metrics for Prometheus, /healthz for liveness (the
 * ECS container health check), /readyz for readiness. Plain node:http: three
 * routes do not justify a framework, and this server must keep answering
 * when the rest of the service is in trouble.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { EventLoopWatchdog } from './eventLoopWatchdog.js';
import type { ReadinessCheck } from './readiness.js';

export interface OpsServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default: all interfaces, since Prometheus scrapes the task from outside. */
  host?: string;
  metrics: Metrics;
  readiness: ReadinessCheck;
  logger: Logger;
  /** /healthz fails when the event loop stalls longer than this (default 5000 ms). */
  maxEventLoopDelayMs?: number;
  /** How long one stall keeps /healthz failing (default 30000 ms). */
  stallWindowMs?: number;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { metrics, readiness, logger } = options;
  const watchdog = new EventLoopWatchdog({ thresholdMs: options.maxEventLoopDelayMs ?? 5000, windowMs: options.stallWindowMs ?? 30_000 });
  const sockets = new Set<Socket>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://ops.invalid').pathname;
    const known = path === '/metrics' || path === '/healthz' || path === '/readyz';
    if (!known) return sendJson(res, 404, { error: 'not found', routes: ['/metrics', '/healthz', '/readyz'] });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    if (path === '/metrics') {
      const body = await metrics.exposition();
      res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path === '/healthz') {
      const status = watchdog.status();
      return sendJson(res, status.healthy ? 200 : 503, { status: status.healthy ? 'ok' : 'event loop stalled', eventLoopDelayMs: status.eventLoopDelayMs });
    }
    let result;
    try {
      result = await readiness();
    } catch (err) {
      // A readiness check that throws is a bug in the check, but the answer is still "not ready".
      result = { ready: false, reason: `readiness check failed: ${errorText(err)}` };
    }
    if (!result.ready) logger.debug({ reason: result.reason }, 'not ready');
    sendJson(res, result.ready ? 200 : 503, result.ready ? { ready: true } : { ready: false, reason: result.reason ?? 'not ready' });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'ops endpoint failed');
      if (!res.headersSent) sendJson(res, 500, { error: errorText(err) });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  watchdog.start();
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: options.host ?? '(all interfaces)' }, 'ops server listening on /metrics, /healthz, /readyz');

  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        watchdog.stop();
        server.close((err) => (err ? reject(err) : resolve()));
        // Prometheus keeps connections alive; without this close() waits for them to idle out.
        for (const socket of sockets) socket.destroy();
      }),
  };
}
