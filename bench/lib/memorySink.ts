/** Object store, dead-letter sink and logger that keep nothing: the pipeline bench's "S3". */
import { pino } from 'pino';
import type { Logger } from '../../src/log.js';
import type { ObjectStorePort, PutOptions } from '../../src/sinks/objectStore.js';
import type { DeadLetter } from '../../src/consumer/pieceProcessor.js';
import type { DeadLetterSink } from '../../src/sinks/lakeWriter.js';

export class CountingStore implements ObjectStorePort {
  objects = 0;
  bytes = 0;
  readonly byZone = new Map<string, number>();

  async checkBucket(): Promise<void> {}

  async put(key: string, body: Uint8Array, _options: PutOptions): Promise<void> {
    this.objects++;
    this.bytes += body.byteLength;
    const zone = key.slice(0, key.indexOf('/'));
    this.byZone.set(zone, (this.byZone.get(zone) ?? 0) + body.byteLength);
  }

  async get(key: string): Promise<Buffer> {
    throw new Error(`the counting store keeps no bodies (${key})`);
  }

  async getWithMetadata(key: string): Promise<{ body: Buffer; metadata: Record<string, string> }> {
    throw new Error(`the counting store keeps no bodies (${key})`);
  }

  async list(): Promise<{ key: string; size: number }[]> {
    return [];
  }
}

export class CountingDeadLetters<D extends DeadLetter> implements DeadLetterSink<D> {
  sent = 0;
  async send(envelopes: readonly D[]): Promise<void> {
    this.sent += envelopes.length;
  }
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
