import { describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DynamoLeaseStore } from '../../src/checkpoint/leaseStore.js';
import { HeldLease } from '../../src/checkpoint/heldLease.js';
import { LeaseLostError } from '../../src/errors.js';
import { randomName } from '../../src/local/provision.js';
import type { Lease } from '../../src/checkpoint/lease.js';
import { leaseOf } from '../support/leases.js';

function newLease(key: string): Lease {
  return leaseOf(key, { parentShardIds: ['shardId-000000000000'], startingHashKey: '0', endingHashKey: '170141183460469231731687303715884105727' });
}

// The same contract against both local DynamoDB implementations: dynalite, and moto (which also serves S3/SQS here).
const backends = [
  ['dynalite', () => process.env.AWS_ENDPOINT_URL_DYNAMODB!],
  ['moto', () => process.env.AWS_ENDPOINT_URL_S3!],
] as const;

describe.each(backends)('lease store against %s', (name, endpoint) => {
  it('creates, takes, renews, fences, checkpoints, hands over and releases with KCL attribute names', async (ctx) => {
    if (name === 'moto' && process.env.KL_TEST_OBJECT_EMULATOR !== 'moto') {
      ctx.skip(); // only where the image ships moto; the npm-only fallback has no DynamoDB
    }
    const client = new DynamoDBClient({ requestHandler: new NodeHttpHandler(), endpoint: endpoint() });
    const store = new DynamoLeaseStore(client, randomName('leases'));
    await store.ensureTable();
    const key = 'shardId-000000000002';
    expect(await store.createLeaseIfNotExists(newLease(key))).toBe(true);
    expect(await store.createLeaseIfNotExists(newLease(key))).toBe(false);

    const [observed] = await store.listLeases();
    const taken = await store.takeLease(observed!, 'worker-a');
    expect(taken?.leaseOwner).toBe('worker-a');
    // A second taker with the stale counter loses.
    expect(await store.takeLease(observed!, 'worker-b')).toBeUndefined();

    const held = new HeldLease(store, 'worker-a', taken!);
    await held.renew();
    await held.prepareCheckpoint({ sequenceNumber: '49600000000000000000000000000000000000000000000000000001', subSequenceNumber: undefined });
    let stored = (await store.getLease(key))!;
    expect(stored.pendingCheckpoint).toBe('49600000000000000000000000000000000000000000000000000001');
    // A checkpoint short of the announced cut (an earlier segment landing first) keeps the cut announced.
    await held.checkpoint({ sequenceNumber: '49600000000000000000000000000000000000000000000000000000', subSequenceNumber: 7 });
    stored = (await store.getLease(key))!;
    expect(stored.checkpoint).toBe('49600000000000000000000000000000000000000000000000000000');
    expect(stored.pendingCheckpoint).toBe('49600000000000000000000000000000000000000000000000000001');
    expect(stored.pendingCheckpointSubSequenceNumber).toBe(0);
    // The cut's own checkpoint clears it.
    await held.checkpoint({ sequenceNumber: '49600000000000000000000000000000000000000000000000000001', subSequenceNumber: 3 });
    stored = (await store.getLease(key))!;
    expect(stored.checkpoint).toBe('49600000000000000000000000000000000000000000000000000001');
    expect(stored.checkpointSubSequenceNumber).toBe(3);
    expect(stored.pendingCheckpoint).toBeUndefined();
    expect(stored.ownerSwitchesSinceCheckpoint).toBe(0);
    expect(stored.parentShardIds).toEqual(['shardId-000000000000']);

    // Another worker asks for a handoff; the owner sees it on its next renewal.
    expect(await store.requestHandoff(stored, 'worker-b')).toBe(true);
    expect(await store.requestHandoff(stored, 'worker-c')).toBe(false);
    const renewed = await held.renew();
    expect(renewed.handoffTo).toBe('worker-b');

    // Someone steals it with the current counter: the old holder's next write is fenced.
    const current = (await store.getLease(key))!;
    const stolen = await store.takeLease(current, 'worker-b');
    expect(stolen?.leaseOwner).toBe('worker-b');
    expect(stolen?.handoffTo).toBeUndefined();
    await expect(held.checkpoint({ sequenceNumber: '49600000000000000000000000000000000000000000000000000009', subSequenceNumber: undefined })).rejects.toBeInstanceOf(LeaseLostError);
    expect(held.lost).toBe(true);
    expect((await store.getLease(key))!.checkpoint).toBe('49600000000000000000000000000000000000000000000000000001');
    // And once lost, the fence holds locally without asking DynamoDB.
    await expect(held.renew()).rejects.toBeInstanceOf(LeaseLostError);

    const heldB = new HeldLease(store, 'worker-b', stolen!);
    await heldB.release();
    const released = (await store.getLease(key))!;
    expect(released.leaseOwner).toBeUndefined();
    expect(released.ownerSwitchesSinceCheckpoint).toBe(1);
    client.destroy();
  });

  it('keeps the raw files announced beyond the checkpoint, and the checkpoint clears those it passes', async (ctx) => {
    if (name === 'moto' && process.env.KL_TEST_OBJECT_EMULATOR !== 'moto') ctx.skip();
    const client = new DynamoDBClient({ requestHandler: new NodeHttpHandler(), endpoint: endpoint() });
    const store = new DynamoLeaseStore(client, randomName('leases'));
    await store.ensureTable();
    const key = 'shardId-000000000003';
    await store.createLeaseIfNotExists(newLease(key));
    const held = new HeldLease(store, 'worker-a', (await store.takeLease((await store.getLease(key))!, 'worker-a'))!);
    const seq = (n: number): string => `4960000000000000000000000000000000000000000000000000${String(n).padStart(4, '0')}`;
    await held.announceRawFile(seq(3), true);
    await held.announceRawFile(seq(8), false);
    await held.announceRawFile(seq(12), true);
    let stored = (await store.getLease(key))!;
    expect(stored.rawWrittenThrough).toBe(seq(12));
    expect(stored.rawIdleCuts).toEqual([seq(3), seq(12)]);
    // Another owner reading the table sees what the lease keeps.
    expect((await store.listLeases())[0]!.rawIdleCuts).toEqual([seq(3), seq(12)]);
    await held.checkpoint({ sequenceNumber: seq(8), subSequenceNumber: undefined });
    stored = (await store.getLease(key))!;
    expect(stored.rawWrittenThrough).toBe(seq(12));
    expect(stored.rawIdleCuts).toEqual([seq(12)]);
    await held.checkpoint({ sequenceNumber: seq(12), subSequenceNumber: undefined });
    stored = (await store.getLease(key))!;
    expect(stored.rawWrittenThrough).toBeUndefined();
    expect(stored.rawIdleCuts).toBeUndefined();
    expect(held.lease.rawWrittenThrough).toBeUndefined();
    client.destroy();
  });
});
