/**
 * Issue #4: the DLQ made unreachable mid-run. While SQS fails every request
 * the shard pauses (never drops): nothing is checkpointed past the first bad
 * record of the outage, the process stays up, and the failures are logged
 * and counted. Once SQS is back, every record is in the raw zone once and
 * every bad record has its envelope in the DLQ.
 */
import { describe, expect, it } from 'vitest';
import { createLake, startServiceProcess, waitFor, type Lake, type ServiceProcess } from '../support/env.js';
import { checkRawZone, checkpointsReached, lastProducedPerShard } from '../support/lakeCheck.js';
import { produce, type GroundTruthEntry } from '../../src/producer/producer.js';
import { startFaultProxy, type FaultProxyStats } from '../../src/local/faultProxy.js';
import { freePort } from '../../src/local/localAws.js';
import { compareSequence } from '../../src/consumer/records.js';
import { drainDeadLetters } from '../../src/sinks/dlqDrain.js';

/** How long the outage is held after the first failed send, so retries and backoff get several rounds. */
const HOLD_MS = 8_000;
const SEND_FAILED_LOG = 'DLQ SendMessageBatch failed; will retry';

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** The service's pino lines with the given message. */
function logLines(svc: ServiceProcess, msg: string): Record<string, unknown>[] {
  return svc
    .log()
    .split('\n')
    .filter((l) => l.includes(msg))
    .flatMap((l) => {
      try {
        const o = JSON.parse(l) as Record<string, unknown>;
        return o.msg === msg ? [o] : [];
      } catch {
        return [];
      }
    });
}

async function checkpoints(lake: Lake): Promise<Map<string, string>> {
  return new Map((await lake.leases.listLeases()).map((l) => [l.leaseKey, l.checkpoint]));
}

function firstBadPerShard(entries: GroundTruthEntry[]): Map<string, string> {
  const first = new Map<string, string>();
  for (const e of entries) {
    if (e.valid) continue;
    const prev = first.get(e.shardId);
    if (prev === undefined || compareSequence(e.sequenceNumber, prev) < 0) first.set(e.shardId, e.sequenceNumber);
  }
  return first;
}

function sqsFaults(stats: FaultProxyStats): number {
  return Object.values(stats.faults).reduce((n, v) => n + v, 0);
}

describe('DLQ outage', () => {
  it('pauses the shard while SQS is unreachable, checkpoints nothing past the failed record, and delivers everything once it is back', async () => {
    const lake = await createLake(2);
    const sqs = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL_SQS!, seed: 71 });
    const port = await freePort();
    let exit: Awaited<ServiceProcess['exited']>;
    const svc = startServiceProcess(
      // The configured endpoint, not the queue URL's host, decides where SQS requests go (sqsEndpointConfig).
      lake.env({
        AWS_ENDPOINT_URL_SQS: sqs.url,
        KL_METRICS_PORT: String(port),
        KL_FLUSH_INTERVAL_MS: '1000',
        KL_FLUSH_MAX_RECORDS: '400',
        KL_CLEANSED_FLUSH_INTERVAL_MS: '2000',
        KL_IDLE_CLOSE_GRACE_MS: '300',
      }),
    );
    try {
      // Before the outage: bad records flow to the DLQ through the proxy. Start-up checks the queue, so
      // the outage starts only once the service is consuming.
      const before = (await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 0, count: 1000, keys: 200, seed: 71, badRatio: 0.05 }, true)).entries!;
      await waitFor('checkpoints at the records produced before the outage', () => checkpointsReached(lake, lastProducedPerShard(before)), 120_000, 500);
      const forwardedBefore = sqs.stats().forwarded;
      expect(forwardedBefore).toBeGreaterThan(1);

      // Outage: every SQS request fails, half as a dropped connection, half as InternalError.
      sqs.setPlan({ faults: [{ kind: 'reset', probability: 0.5 }, { kind: 'sqs-error', probability: 1 }] });
      const outageStart = Date.now();
      const during = (await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 0, count: 3000, keys: 200, seed: 72, badRatio: 0.05 }, true)).entries!;
      const firstBad = firstBadPerShard(during);
      expect(firstBad.size).toBeGreaterThan(0);

      await waitFor('a failed DLQ send counted', async () => metric(await scrape(port), 'kinesis_lake_dlq_send_failures_total') > 0, 60_000, 250);
      const holdUntil = Date.now() + HOLD_MS;
      const pastFailedRecord = new Set<string>();
      let samples = 0;
      while (Date.now() < holdUntil) {
        expect(svc.child.exitCode, 'service exited during the outage').toBeNull();
        for (const [shard, cp] of await checkpoints(lake)) {
          const bad = firstBad.get(shard);
          // A checkpoint at or past the bad record would let a restart skip it while its envelope is not in SQS.
          if (bad !== undefined && (cp === 'SHARD_END' || (/^\d+$/.test(cp) && compareSequence(cp, bad) >= 0))) pastFailedRecord.add(`${shard}: checkpoint ${cp} >= first bad ${bad}`);
        }
        samples++;
        await new Promise((r) => setTimeout(r, 250));
      }
      const outageText = await scrape(port);
      const failuresCounted = metric(outageText, 'kinesis_lake_dlq_send_failures_total');
      const failureLogs = logLines(svc, SEND_FAILED_LOG).length;
      const outageStats = sqs.stats();
      const outageMs = Date.now() - outageStart;
      expect([...pastFailedRecord]).toEqual([]);
      expect(samples).toBeGreaterThan(5);
      expect(outageStats.forwarded).toBe(forwardedBefore);
      expect(sqsFaults(outageStats)).toBeGreaterThan(0);
      expect(failuresCounted).toBeGreaterThan(0);
      expect(failureLogs).toBeGreaterThan(0);
      // The pause is real: the shards holding bad records are still short of what was produced.
      expect(await checkpointsReached(lake, lastProducedPerShard(during))).toBe(false);

      // SQS back.
      sqs.setPlan({});
      const recoveryStart = Date.now();
      const all = [...before, ...during];
      await waitFor('checkpoints at the last produced records after the outage', () => checkpointsReached(lake, lastProducedPerShard(all)), 120_000, 500);
      const recoveryMs = Date.now() - recoveryStart;

      const raw = await checkRawZone(lake, all);
      expect(raw.missing).toEqual([]);
      expect(raw.duplicates).toEqual([]);
      expect(raw.corrupted).toEqual([]);
      expect(raw.unexpected).toEqual([]);

      const bad = all.filter((e) => !e.valid);
      // Read straight from the emulator, not through the proxy.
      const dlq = await drainDeadLetters(lake.clients.sqs, lake.dlqUrl);
      const delivered = new Set([...dlq.envelopes.values()].map((e) => `${e.shardId}/${e.sequenceNumber}`));
      const badIds = new Set(bad.map((e) => `${e.shardId}/${e.sequenceNumber}`));
      expect(bad.filter((e) => !delivered.has(`${e.shardId}/${e.sequenceNumber}`)).map((e) => `${e.shardId}/${e.sequenceNumber}`)).toEqual([]);
      expect([...delivered].filter((id) => !badIds.has(id))).toEqual([]);
      expect(dlq.envelopes.size).toBe(bad.length);

      console.log(
        `[measured] DLQ outage: ${(outageMs / 1000).toFixed(1)} s, ${sqsFaults(outageStats)} SQS requests failed ${JSON.stringify(outageStats.faults)}, ` +
          `${failuresCounted} envelope send failures counted, ${failureLogs} '${SEND_FAILED_LOG}' lines, ${samples} checkpoint samples none past the first bad record; ` +
          `recovered in ${(recoveryMs / 1000).toFixed(1)} s; ${bad.length} bad of ${all.length} records (${during.filter((e) => !e.valid).length} during the outage), ` +
          `${dlq.envelopes.size} distinct envelopes in ${dlq.messages} messages`,
      );
    } finally {
      if (svc.child.exitCode === null) svc.child.kill('SIGTERM');
      exit = await svc.exited;
      await sqs.close();
    }
    expect(exit.code).toBe(0);
  });
});
