/** The HTTP handler every AWS client shares gives up on a request that gets no answer. */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { httpHandler } from '../../src/aws/sdkDefaults.js';
import { isRetriable } from '../../src/errors.js';

describe('httpHandler', () => {
  // Accepts connections and never answers: a hung endpoint or a half-open socket.
  let server: Server;
  let port = 0;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fails a request that gets no answer within its timeout, with an error our retry loops retry', async () => {
    const client = new DynamoDBClient({
      requestHandler: httpHandler(2, 300),
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    try {
      const err = await client.send(new ListTablesCommand({})).then(
        () => undefined,
        (e: unknown) => e as { name?: string; code?: string },
      );
      expect(err?.name).toBe('TimeoutError');
      expect(err?.code).toBe('ETIMEDOUT');
      expect(isRetriable(err)).toBe(true);
    } finally {
      client.destroy();
    }
  });
});
