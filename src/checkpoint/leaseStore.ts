/**
 * The lease/checkpoint store: every write that matters to correctness is
 * conditional on the lease counter (and owner), so a worker that lost its
 * lease cannot write a checkpoint (invariant 5).
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { LeaseLostError, MissingResourceError } from '../errors.js';
import { comparePosition, compareSequence, type ShardPosition } from '../consumer/records.js';
import { rawAnnouncementsBeyond, type Lease } from './lease.js';

export interface LeaseStore {
  readonly tableName: string;
  /** Creates the table (on-demand) when missing and waits until it is active. */
  ensureTable(): Promise<void>;
  listLeases(): Promise<Lease[]>;
  getLease(leaseKey: string): Promise<Lease | undefined>;
  /** Creates a lease unless one exists; true when this call created it. */
  createLeaseIfNotExists(lease: Lease): Promise<boolean>;
  /** Takes a lease observed with `observed.leaseCounter`; fails (false) when it moved. */
  takeLease(observed: Lease, owner: string): Promise<Lease | undefined>;
  /** Renews a held lease; throws LeaseLostError when the counter or owner moved. */
  renewLease(held: Lease, owner: string): Promise<Lease>;
  /** Records an intended forced cut before the files it ends are written. */
  prepareCheckpoint(held: Lease, owner: string, pending: ShardPosition): Promise<Lease>;
  /**
   * Records, before a raw file is written, that it ends at `lastSequence`
   * (rawWrittenThrough), and with `idleCut` that nothing in the records
   * explains that end (rawIdleCuts); fenced like renewLease.
   */
  announceRawFile(held: Lease, owner: string, lastSequence: string, idleCut: boolean): Promise<Lease>;
  /** Moves the checkpoint and clears any pending one and the raw announcements it passes; fenced like renewLease. */
  checkpoint(held: Lease, owner: string, checkpoint: string, subSequenceNumber: number): Promise<Lease>;
  /**
   * Gives the lease up so that another worker takes it at once; with
   * `transferTo`, hands it straight to the worker that asked for it.
   */
  releaseLease(held: Lease, owner: string, transferTo?: string): Promise<void>;
  /** Asks the owner (as observed) to hand the lease over; false when the owner changed meanwhile. */
  requestHandoff(observed: Lease, requester: string): Promise<boolean>;
  /** Records children discovered at a parent's end (best effort, not fenced). */
  setChildShardIds(leaseKey: string, childShardIds: string[]): Promise<void>;
  deleteLease(leaseKey: string): Promise<void>;
}

function s(v: string): AttributeValue {
  return { S: v };
}
function n(v: number): AttributeValue {
  return { N: String(v) };
}

export function leaseFromItem(item: Record<string, AttributeValue>): Lease {
  return {
    leaseKey: item.leaseKey?.S ?? '',
    leaseOwner: item.leaseOwner?.S,
    leaseCounter: Number(item.leaseCounter?.N ?? '0'),
    checkpoint: item.checkpoint?.S ?? 'TRIM_HORIZON',
    checkpointSubSequenceNumber: Number(item.checkpointSubSequenceNumber?.N ?? '0'),
    pendingCheckpoint: item.pendingCheckpoint?.S,
    pendingCheckpointSubSequenceNumber:
      item.pendingCheckpointSubSequenceNumber?.N !== undefined ? Number(item.pendingCheckpointSubSequenceNumber.N) : undefined,
    rawWrittenThrough: item.rawWrittenThrough?.S,
    rawIdleCuts: item.rawIdleCuts?.SS ? [...item.rawIdleCuts.SS].sort(compareSequence) : undefined,
    ownerSwitchesSinceCheckpoint: Number(item.ownerSwitchesSinceCheckpoint?.N ?? '0'),
    parentShardIds: item.parentShardId?.SS ?? [],
    childShardIds: item.childShardIds?.SS ?? [],
    startingHashKey: item.startingHashKey?.S,
    endingHashKey: item.endingHashKey?.S,
    handoffTo: item.handoffTo?.S,
    checkpointTimeMs: item.checkpointTime?.N !== undefined ? Number(item.checkpointTime.N) : undefined,
    flushWindowPhaseMs: item.flushWindowPhaseMs?.N !== undefined ? Number(item.flushWindowPhaseMs.N) : undefined,
  };
}

export function leaseToItem(lease: Lease): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    leaseKey: s(lease.leaseKey),
    leaseCounter: n(lease.leaseCounter),
    checkpoint: s(lease.checkpoint),
    checkpointSubSequenceNumber: n(lease.checkpointSubSequenceNumber),
    ownerSwitchesSinceCheckpoint: n(lease.ownerSwitchesSinceCheckpoint),
  };
  if (lease.leaseOwner) item.leaseOwner = s(lease.leaseOwner);
  if (lease.pendingCheckpoint) item.pendingCheckpoint = s(lease.pendingCheckpoint);
  if (lease.pendingCheckpointSubSequenceNumber !== undefined) item.pendingCheckpointSubSequenceNumber = n(lease.pendingCheckpointSubSequenceNumber);
  if (lease.rawWrittenThrough) item.rawWrittenThrough = s(lease.rawWrittenThrough);
  if (lease.rawIdleCuts && lease.rawIdleCuts.length > 0) item.rawIdleCuts = { SS: lease.rawIdleCuts };
  if (lease.parentShardIds.length > 0) item.parentShardId = { SS: lease.parentShardIds };
  if (lease.childShardIds.length > 0) item.childShardIds = { SS: lease.childShardIds };
  if (lease.startingHashKey) item.startingHashKey = s(lease.startingHashKey);
  if (lease.endingHashKey) item.endingHashKey = s(lease.endingHashKey);
  if (lease.handoffTo) item.handoffTo = s(lease.handoffTo);
  if (lease.checkpointTimeMs !== undefined) item.checkpointTime = n(lease.checkpointTimeMs);
  if (lease.flushWindowPhaseMs !== undefined) item.flushWindowPhaseMs = n(lease.flushWindowPhaseMs);
  return item;
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string }).name === 'ConditionalCheckFailedException';
}

export class DynamoLeaseStore implements LeaseStore {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  async ensureTable(): Promise<void> {
    if (!(await this.tableStatus())) {
      try {
        await this.client.send(
          new CreateTableCommand({
            TableName: this.tableName,
            AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      } catch (err) {
        if ((err as { name?: string }).name !== 'ResourceInUseException') throw err;
      }
    }
    for (let i = 0; i < 600; i++) {
      if ((await this.tableStatus()) === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new MissingResourceError(`lease table ${this.tableName} did not become ACTIVE`);
  }

  private async tableStatus(): Promise<string | undefined> {
    try {
      const out = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
      return out.Table?.TableStatus ?? 'UNKNOWN';
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  }

  async listLeases(): Promise<Lease[]> {
    const leases: Lease[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.client.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start, ConsistentRead: true }));
      for (const item of out.Items ?? []) leases.push(leaseFromItem(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return leases;
  }

  async getLease(leaseKey: string): Promise<Lease | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { leaseKey: s(leaseKey) }, ConsistentRead: true }));
    return out.Item ? leaseFromItem(out.Item) : undefined;
  }

  async createLeaseIfNotExists(lease: Lease): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.tableName, Item: leaseToItem(lease), ConditionExpression: 'attribute_not_exists(leaseKey)' }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async takeLease(observed: Lease, owner: string): Promise<Lease | undefined> {
    const switching = observed.leaseOwner !== owner;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { leaseKey: s(observed.leaseKey) },
          UpdateExpression: switching
            ? 'SET leaseOwner = :owner, leaseCounter = :next ADD ownerSwitchesSinceCheckpoint :one REMOVE handoffTo'
            : 'SET leaseOwner = :owner, leaseCounter = :next REMOVE handoffTo',
          ConditionExpression: 'leaseCounter = :counter',
          ExpressionAttributeValues: {
            ':owner': s(owner),
            ':next': n(observed.leaseCounter + 1),
            ':counter': n(observed.leaseCounter),
            ...(switching ? { ':one': n(1) } : {}),
          },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
    return {
      ...observed,
      leaseOwner: owner,
      leaseCounter: observed.leaseCounter + 1,
      ownerSwitchesSinceCheckpoint: observed.ownerSwitchesSinceCheckpoint + (switching ? 1 : 0),
      handoffTo: undefined,
    };
  }

  private async fencedUpdate(
    held: Lease,
    owner: string,
    update: string,
    values: Record<string, AttributeValue>,
  ): Promise<Lease | undefined> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { leaseKey: s(held.leaseKey) },
          UpdateExpression: update,
          ConditionExpression: 'leaseCounter = :counter AND leaseOwner = :owner',
          ExpressionAttributeValues: { ':counter': n(held.leaseCounter), ':owner': s(owner), ...values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? leaseFromItem(out.Attributes) : undefined;
    } catch (err) {
      if (isConditionFailure(err)) throw new LeaseLostError(held.leaseKey, err);
      throw err;
    }
  }

  /** Renews; the returned lease shows a handoff request, if another worker made one. */
  async renewLease(held: Lease, owner: string): Promise<Lease> {
    const fresh = await this.fencedUpdate(held, owner, 'SET leaseCounter = :next', { ':next': n(held.leaseCounter + 1) });
    return fresh ?? { ...held, leaseCounter: held.leaseCounter + 1 };
  }

  async requestHandoff(observed: Lease, requester: string): Promise<boolean> {
    if (!observed.leaseOwner) return false;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { leaseKey: s(observed.leaseKey) },
          UpdateExpression: 'SET handoffTo = :r',
          ConditionExpression: 'leaseOwner = :owner AND attribute_not_exists(handoffTo)',
          ExpressionAttributeValues: { ':r': s(requester), ':owner': s(observed.leaseOwner) },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async prepareCheckpoint(held: Lease, owner: string, pending: ShardPosition): Promise<Lease> {
    await this.fencedUpdate(held, owner, 'SET leaseCounter = :next, pendingCheckpoint = :p, pendingCheckpointSubSequenceNumber = :ps', {
      ':next': n(held.leaseCounter + 1),
      ':p': s(pending.sequenceNumber),
      ':ps': n(pending.subSequenceNumber ?? 0),
    });
    return {
      ...held,
      leaseCounter: held.leaseCounter + 1,
      pendingCheckpoint: pending.sequenceNumber,
      pendingCheckpointSubSequenceNumber: pending.subSequenceNumber ?? 0,
    };
  }

  async announceRawFile(held: Lease, owner: string, lastSequence: string, idleCut: boolean): Promise<Lease> {
    const through = held.rawWrittenThrough !== undefined && compareSequence(held.rawWrittenThrough, lastSequence) > 0 ? held.rawWrittenThrough : lastSequence;
    const cuts = idleCut ? [...new Set([...(held.rawIdleCuts ?? []), lastSequence])].sort(compareSequence) : held.rawIdleCuts;
    await this.fencedUpdate(held, owner, 'SET leaseCounter = :next, rawWrittenThrough = :w' + (idleCut ? ', rawIdleCuts = :cuts' : ''), {
      ':next': n(held.leaseCounter + 1),
      ':w': s(through),
      ...(idleCut ? { ':cuts': { SS: cuts! } } : {}),
    });
    return { ...held, leaseCounter: held.leaseCounter + 1, rawWrittenThrough: through, rawIdleCuts: cuts };
  }

  async checkpoint(held: Lease, owner: string, checkpoint: string, subSequenceNumber: number): Promise<Lease> {
    // A forced cut announced beyond this checkpoint ends a segment still being written: the cut must outlive
    // this write, or an owner that takes over after a crash would cut those records elsewhere. So must the
    // raw files announced beyond it.
    const keepPending = pendingBeyond(held, checkpoint, subSequenceNumber);
    const raw = rawAnnouncementsBeyond(held, checkpoint);
    const set = ['leaseCounter = :next', 'checkpoint = :c', 'checkpointSubSequenceNumber = :cs', 'ownerSwitchesSinceCheckpoint = :zero', 'checkpointTime = :t'];
    const remove: string[] = [];
    const values: Record<string, AttributeValue> = { ':next': n(held.leaseCounter + 1), ':c': s(checkpoint), ':cs': n(subSequenceNumber), ':zero': n(0), ':t': n(Date.now()) };
    if (!keepPending) remove.push('pendingCheckpoint', 'pendingCheckpointSubSequenceNumber');
    if (raw.rawWrittenThrough === undefined) remove.push('rawWrittenThrough');
    if (raw.rawIdleCuts.length > 0) {
      set.push('rawIdleCuts = :cuts');
      values[':cuts'] = { SS: raw.rawIdleCuts };
    } else remove.push('rawIdleCuts');
    await this.fencedUpdate(held, owner, `SET ${set.join(', ')}` + (remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''), values);
    return {
      ...held,
      leaseCounter: held.leaseCounter + 1,
      checkpoint,
      checkpointSubSequenceNumber: subSequenceNumber,
      ownerSwitchesSinceCheckpoint: 0,
      pendingCheckpoint: keepPending ? held.pendingCheckpoint : undefined,
      pendingCheckpointSubSequenceNumber: keepPending ? held.pendingCheckpointSubSequenceNumber : undefined,
      rawWrittenThrough: raw.rawWrittenThrough,
      rawIdleCuts: raw.rawIdleCuts.length > 0 ? raw.rawIdleCuts : undefined,
      checkpointTimeMs: Date.now(),
    };
  }

  async releaseLease(held: Lease, owner: string, transferTo?: string): Promise<void> {
    if (transferTo && transferTo !== owner) {
      await this.fencedUpdate(held, owner, 'SET leaseCounter = :next, leaseOwner = :to ADD ownerSwitchesSinceCheckpoint :one REMOVE handoffTo', {
        ':next': n(held.leaseCounter + 1),
        ':to': s(transferTo),
        ':one': n(1),
      });
      return;
    }
    await this.fencedUpdate(held, owner, 'SET leaseCounter = :next REMOVE leaseOwner, handoffTo', { ':next': n(held.leaseCounter + 1) });
  }

  async setChildShardIds(leaseKey: string, childShardIds: string[]): Promise<void> {
    if (childShardIds.length === 0) return;
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { leaseKey: s(leaseKey) },
        UpdateExpression: 'ADD childShardIds :c',
        ConditionExpression: 'attribute_exists(leaseKey)',
        ExpressionAttributeValues: { ':c': { SS: childShardIds } },
      }),
    ).catch((err: unknown) => {
      if (!isConditionFailure(err)) throw err;
    });
  }

  async deleteLease(leaseKey: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { leaseKey: s(leaseKey) } }));
  }
}

/** True when the held lease announces a forced cut after the position being checkpointed (SHARD_END is past everything). */
function pendingBeyond(held: Lease, checkpoint: string, subSequenceNumber: number): boolean {
  if (held.pendingCheckpoint === undefined || checkpoint === 'SHARD_END') return false;
  const pending = { sequenceNumber: held.pendingCheckpoint, subSequenceNumber: held.pendingCheckpointSubSequenceNumber };
  return comparePosition({ sequenceNumber: checkpoint, subSequenceNumber }, pending) < 0;
}
