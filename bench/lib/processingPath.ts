/**
 * The service's processing path from memory, as the pipeline and freshness
 * scenarios build it: a ProcessorPool with the service's processing options
 * (PII on), the real LakeWriter writing to a given store (Parquet encoded in
 * the pool), the default memory budget of a 2 GiB task and the cut rules.
 */
import { MemoryBudget } from '../../src/consumer/memoryBudget.js';
import type { CutRules } from '../../src/consumer/fileCutter.js';
import type { DlqEnvelope } from '../../src/processors/envelope.js';
import { ProcessorPool } from '../../src/processors/pool.js';
import { DEFAULT_SCHEMA_DIR } from '../../src/processors/schemas.js';
import { LakeWriter } from '../../src/sinks/lakeWriter.js';
import type { ObjectStorePort } from '../../src/sinks/objectStore.js';
import { CountingDeadLetters, silentLogger } from './memorySink.js';

const MiB = 1024 * 1024;

export interface ProcessingPath {
  pool: ProcessorPool;
  writer: LakeWriter<DlqEnvelope>;
  deadLetters: CountingDeadLetters<DlqEnvelope>;
  budget: MemoryBudget;
  fileRules: CutRules;
  segmentRules: CutRules;
}

export function processingPath(store: ObjectStorePort, o: { workers: number; rawWindowMs: number; segmentWindowMs: number; niceness?: number }): ProcessingPath {
  const pool = new ProcessorPool({
    schemaDir: DEFAULT_SCHEMA_DIR,
    maxRecordBytes: 1_000_000,
    maxJsonDepth: 64,
    maxFutureMs: 3_600_000,
    piiFields: ['user_id', 'session_id'],
    piiKey: 'bench-pii-key-0123456789',
    workers: o.workers,
    // The worker threads' priority as the service sets it (KL_WORKER_NICENESS). V8's background threads stay
    // as they are: they are this bench process's, which the scenarios after this one share.
    ...(o.niceness === undefined ? {} : { niceness: o.niceness }),
  });
  const deadLetters = new CountingDeadLetters<DlqEnvelope>();
  const writer = new LakeWriter<DlqEnvelope>({
    store,
    streamName: 'bench',
    table: 'bench',
    deadLetters,
    parquet: { encode: (chunks) => pool.encodeParquet(chunks, 'snappy') },
    logger: silentLogger(),
  });
  return {
    pool,
    writer,
    deadLetters,
    // The service's default budget for a 2 GiB task.
    budget: new MemoryBudget(768 * MiB),
    fileRules: { intervalMs: o.rawWindowMs, maxRecords: 100_000, maxBytes: 64 * MiB },
    segmentRules: { intervalMs: o.segmentWindowMs, maxRecords: 2_000_000, maxBytes: 128 * MiB },
  };
}
