/**
 * Turns the consumer's and the worker's hooks into metric updates, so the
 * consumer does not depend on prom-client.
 */
import type { Metrics } from './metrics.js';
import type { ShardObserver } from '../consumer/shardConsumer.js';
import type { WorkerObserver } from '../consumer/streamWorker.js';

export function pipelineObserver(metrics: Metrics): ShardObserver & WorkerObserver {
  return {
    onRecordsRead(shardId, records, bytes, millisBehindLatest) {
      metrics.recordRead(shardId, records, bytes);
      if (millisBehindLatest !== undefined) metrics.setMillisBehindLatest(shardId, millisBehindLatest);
    },
    onGetRecordsError(shardId, throttled) {
      if (throttled) metrics.getRecordsThrottled(shardId);
      metrics.getRecordsRetried(shardId);
    },
    onCheckpoint(shardId) {
      metrics.checkpointSucceeded(shardId);
    },
    onStateChange(shardId, _from, to) {
      if (to === 'FAILED') metrics.shardFailed(shardId);
    },
    onPieceProcessed(_shardId, output) {
      for (const [reason, n] of Object.entries(output.counts.byReason)) metrics.dlqRecord(reason, n);
      if (output.counts.droppedOutOfRange > 0) metrics.recordDropped('hash_key_out_of_range', output.counts.droppedOutOfRange);
    },
    onLeaseEvent(event, shardId) {
      if (event === 'renewed') return;
      metrics.leaseEvent(event);
      if (event === 'lost' || event === 'released') metrics.forgetShard(shardId);
    },
    onLeasesHeld(count) {
      metrics.setLeasesHeld(count);
    },
    onUnownedShards(count) {
      metrics.setUnownedShards(count);
    },
  };
}
