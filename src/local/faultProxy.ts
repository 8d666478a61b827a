/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of one emulator
 * endpoint. A service pointed at it through the SDK's endpoint variables
 * (AWS_ENDPOINT_URL_S3=<proxy url>, ...) sees the emulator, except that,
 * per a plan that can be switched while it runs, requests may be delayed,
 * answered with the error AWS itself returns under load (S3 503 SlowDown,
 * DynamoDB throttling, Kinesis ProvisionedThroughputExceeded, SQS internal
 * errors), or have their connection destroyed before or after the upstream
 * handled them. Decisions come from a seeded PRNG so a chaos run can be
 * repeated; concurrency still makes the exact request that gets a fault vary.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { seededRandom } from '../producer/random.js';

/** The faults the proxy can answer with instead of the emulator. */
export type FaultKind =
  /** S3: 503 with an XML `SlowDown` error. */
  | 's3-slowdown'
  /** DynamoDB: 400 ProvisionedThroughputExceededException. */
  | 'dynamodb-throughput'
  /** DynamoDB: 400 ThrottlingException. */
  | 'dynamodb-throttling'
  /** Kinesis: 400 ProvisionedThroughputExceededException. */
  | 'kinesis-throughput'
  /** SQS: 500 InternalError (JSON or query protocol, whichever the client speaks). */
  | 'sqs-error'
  /** Destroy the client's socket before the request reaches the emulator. */
  | 'reset'
  /** Let the emulator handle the request, then destroy the socket instead of answering: the client cannot know it succeeded. */
  | 'reset-after';

export interface FaultRule {
  kind: FaultKind;
  /** Chance per request, 0..1. */
  probability: number;
}

export interface FaultPlan {
  /** Added before each request is forwarded (or faulted). */
  latencyMs?: number;
  /** Tried in order; the first rule whose draw hits applies. */
  faults?: FaultRule[];
}

export interface FaultProxyStats {
  requests: number;
  forwarded: number;
  /** Requests answered by each fault kind. */
  faults: Partial<Record<FaultKind, number>>;
  /** Upstream connection errors passed on as 502. */
  upstreamErrors: number;
}

export interface FaultProxy {
  url: string;
  setPlan(plan: FaultPlan): void;
  stats(): FaultProxyStats;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The emulator's base URL, e.g. http://127.0.0.1:4566. */
  target: string;
  seed: number;
}

const S3_SLOWDOWN_BODY =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>' +
  '<RequestId>FAULTPROXY</RequestId><HostId>faultproxy</HostId></Error>';

interface CannedError {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function jsonError(status: number, contentType: string, type: string, message: string): CannedError {
  return { status, headers: { 'content-type': contentType, 'x-amzn-requestid': 'faultproxy' }, body: JSON.stringify({ __type: type, message }) };
}

/** The error response of a fault kind, shaped for the protocol of the request that gets it. */
function cannedError(kind: Exclude<FaultKind, 'reset' | 'reset-after'>, req: IncomingMessage): CannedError {
  const contentType = String(req.headers['content-type'] ?? '');
  switch (kind) {
    case 's3-slowdown':
      return { status: 503, headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'FAULTPROXY' }, body: S3_SLOWDOWN_BODY };
    case 'dynamodb-throughput':
      return jsonError(
        400,
        'application/x-amz-json-1.0',
        'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        'The level of configured provisioned throughput for the table was exceeded.',
      );
    case 'dynamodb-throttling':
      return jsonError(400, 'application/x-amz-json-1.0', 'com.amazon.coral.availability#ThrottlingException', 'Rate of requests exceeds the allowed throughput.');
    case 'kinesis-throughput':
      return jsonError(400, 'application/x-amz-json-1.1', 'ProvisionedThroughputExceededException', 'Rate exceeded for shard in stream under account 000000000000.');
    case 'sqs-error':
      // SQS speaks JSON (awsJson1_0) in current SDKs and the query protocol in older ones.
      if (contentType.includes('json')) {
        return {
          status: 500,
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'InternalError;Receiver' },
          body: JSON.stringify({ __type: 'com.amazonaws.sqs#InternalError', message: 'We encountered an internal error. Please try again.' }),
        };
      }
      return {
        status: 500,
        headers: { 'content-type': 'text/xml' },
        body:
          '<?xml version="1.0"?><ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code>' +
          '<Message>We encountered an internal error. Please try again.</Message></Error><RequestId>faultproxy</RequestId></ErrorResponse>',
      };
  }
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const rng = seededRandom(options.seed);
  let plan: FaultPlan = {};
  const stats: FaultProxyStats = { requests: 0, forwarded: 0, faults: {}, upstreamErrors: 0 };
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const sockets = new Set<Socket>();

  const chooseFault = (): FaultKind | undefined => {
    for (const rule of plan.faults ?? []) {
      if (rule.probability > 0 && rng() < rule.probability) return rule.kind;
    }
    return undefined;
  };

  const count = (kind: FaultKind): void => {
    stats.faults[kind] = (stats.faults[kind] ?? 0) + 1;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, dropAnswer: boolean): void => {
    stats.forwarded++;
    // Headers go through untouched (the emulators do not check SigV4, and the host
    // header keeps URLs they echo, such as SQS queue URLs, pointing at the proxy).
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        if (dropAnswer) {
          // The emulator has done the work; read its answer to the end so the socket can be reused, then drop ours.
          up.resume();
          up.once('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.rawHeaders);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      stats.upstreamErrors++;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('fault proxy: upstream unreachable');
      } else res.destroy();
    });
    req.pipe(upstream);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    stats.requests++;
    const fault = chooseFault();
    if (fault === undefined) return forward(req, res, false);
    count(fault);
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'reset-after') return forward(req, res, true);
    const canned = cannedError(fault, req);
    // Read the request to its end first: answering mid-upload makes some clients see a reset instead.
    req.resume();
    req.once('end', () => {
      const body = req.method === 'HEAD' ? '' : canned.body;
      res.writeHead(canned.status, { ...canned.headers, 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
  };

  const server = createServer((req, res) => {
    const latency = plan.latencyMs ?? 0;
    if (latency > 0) {
      // Hold the body until the delay ends so it is not lost before a handler is attached.
      req.pause();
      setTimeout(() => handle(req, res), latency);
    } else handle(req, res);
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    setPlan(next) {
      plan = { ...next, faults: next.faults?.map((f) => ({ ...f })) };
    },
    stats() {
      return { ...stats, faults: { ...stats.faults } };
    },
    async close() {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
