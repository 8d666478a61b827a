/**
 * The pool runs dist/processors/worker.js: `npm test` builds before vitest
 * runs; when running this file alone, `npm run build` first.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessorPool, workerFilename } from '../../src/processors/pool.js';
import { ConfigError } from '../../src/errors.js';
import { decodeRawLine } from '../../src/sinks/rawLine.js';
import { encodeParquet } from '../../src/sinks/parquet/encodeParquet.js';
import { decodeChunks, expectMixedPieceResult, kinesisRecord, mixedPiece, piece, rawLines, testOptions, validJson, handAggregate, bytes } from '../support/processorFixtures.js';

const POISON = '__kl_test_poison__';

describe('ProcessorPool', () => {
  beforeAll(() => {
    expect(existsSync(workerFilename()), `${workerFilename()} is missing: run npm run build`).toBe(true);
  });

  describe('with healthy workers', () => {
    const pool = new ProcessorPool({ ...testOptions(), workers: 2 });
    afterAll(() => pool.close());

    it('routes the bad-input catalogue exactly as processPiece does', async () => {
      const m = mixedPiece();
      expectMixedPieceResult(await pool.process(m.input), m);
    });

    it('processes many pieces concurrently, each result matching its own input', async () => {
      const inputs = Array.from({ length: 12 }, (_, p) => piece(Array.from({ length: 50 }, (_, i) => kinesisRecord(validJson(p * 1000 + i)))));
      const pending = inputs.map((i) => pool.process(i));
      // More pieces than task slots: three per thread are packed and handed over, the rest wait unpacked.
      const submitted = pool.stats();
      expect(submitted.piecesInFlight).toBe(2 * 3);
      expect(submitted.queued).toBe(12 - 2 * 3);
      const results = await Promise.all(pending);
      results.forEach((r, p) => {
        expect(r.counts.valid).toBe(50);
        const products = decodeChunks(r.cleansed).flatMap((c) => c.columns.product_id!);
        expect(products).toEqual(Array.from({ length: 50 }, (_, i) => `SKU-${p * 1000 + i}`));
        expect(rawLines(r.raw).map((l) => decodeRawLine(l).sequenceNumber)).toEqual(inputs[p]!.records.map((x) => x.sequenceNumber));
      });
      expect(pool.stats().completedTasks).toBeGreaterThanOrEqual(12);
      expect(pool.stats().workers).toBe(2);
    });

    it('reuses piece buffers the workers hand back: pieces one after another, large then small then large, each result its own', async () => {
      // Sequential, so every piece after the first is packed into a buffer an earlier, larger piece left stale bytes in.
      const crashedBefore = pool.stats().crashedPieces;
      for (const [p, size] of [120, 3, 60, 1, 120].entries()) {
        const input = piece(Array.from({ length: size }, (_, i) => kinesisRecord(validJson(p * 1000 + i))));
        const r = await pool.process(input);
        expect(r.counts.valid).toBe(size);
        expect(decodeChunks(r.cleansed).flatMap((c) => c.columns.product_id!)).toEqual(Array.from({ length: size }, (_, i) => `SKU-${p * 1000 + i}`));
        expect(rawLines(r.raw).map((l) => decodeRawLine(l).sequenceNumber)).toEqual(input.records.map((x) => x.sequenceNumber));
      }
      // Not rescued by the record-by-record retry either.
      expect(pool.stats().crashedPieces).toBe(crashedBefore);
    });

    it('encodes a Parquet file from chunks of several pieces exactly as the encoder does inline, and leaves the chunks whole', async () => {
      // Chunk lengths that are not all multiples of 8 would show a packing that misaligns or drops bytes.
      const results = await Promise.all([40, 3, 17].map((n, p) => pool.process(piece(Array.from({ length: n }, (_, i) => kinesisRecord(validJson(p * 1000 + i)))))));
      const chunks = results.flatMap((r) => r.cleansed.map((c) => c.chunk));
      expect(chunks.length).toBeGreaterThanOrEqual(3);
      const before = chunks.map((c) => Buffer.from(c).toString('hex'));
      const parquet = await pool.encodeParquet(chunks, 'snappy');
      expect(Buffer.from(parquet)).toEqual(Buffer.from(await encodeParquet(chunks, { compression: 'snappy' })));
      // Not detached nor changed by the task: a retry after a dead thread needs them whole.
      expect(chunks.map((c) => Buffer.from(c).toString('hex'))).toEqual(before);
    });
  });

  it('finishes the pieces still waiting for a task slot when closed, and closes once however often asked', async () => {
    const pool = new ProcessorPool({ ...testOptions(), workers: 1 });
    const inputs = Array.from({ length: 8 }, (_, p) => piece(Array.from({ length: 20 }, (_, i) => kinesisRecord(validJson(p * 1000 + i)))));
    const pending = inputs.map((i) => pool.process(i));
    const closing = pool.close();
    expect(pool.close()).toBe(closing);
    const results = await Promise.all(pending);
    await closing;
    expect(results.map((r) => r.counts.valid)).toEqual(inputs.map(() => 20));
    expect(pool.stats().crashedPieces).toBe(0);
  });

  it('runs a Parquet task behind the pieces in flight, not behind every piece queued', async () => {
    const pool = new ProcessorPool({ ...testOptions(), workers: 1 });
    try {
      const done: string[] = [];
      const first = await pool.process(piece(Array.from({ length: 50 }, (_, i) => kinesisRecord(validJson(i)))));
      const pieces = Array.from({ length: 20 }, (_, p) =>
        pool.process(piece(Array.from({ length: 200 }, (_, i) => kinesisRecord(validJson(p * 1000 + i))))).then(() => done.push(`piece ${p}`)),
      );
      const parquet = pool.encodeParquet(first.cleansed.map((c) => c.chunk), 'snappy').then(() => done.push('parquet'));
      await Promise.all([...pieces, parquet]);
      // One thread: its three slots' pieces may go first, then the Parquet task; before the slots it came last.
      expect(done.indexOf('parquet')).toBeLessThanOrEqual(3);
      expect(done).toHaveLength(21);
    } finally {
      await pool.close();
    }
  });

  for (const crashMode of ['throw', 'exit'] as const) {
    it(`isolates a record that makes its worker ${crashMode === 'throw' ? 'throw' : 'die'}: processor_crash for it, the rest fine, the pool keeps working`, async () => {
      const pool = new ProcessorPool({ ...testOptions(), workers: 2, testHooks: { crashMarker: POISON, crashMode } });
      try {
        const poisoned = JSON.stringify({ ...JSON.parse(validJson(5)), note: POISON });
        const agg = handAggregate([bytes(validJson(100)), bytes(JSON.stringify({ ...JSON.parse(validJson(101)), note: POISON }))]);
        const records = [kinesisRecord(validJson(0)), kinesisRecord(poisoned), kinesisRecord(validJson(1)), kinesisRecord(agg), kinesisRecord(validJson(2))];
        const r = await pool.process(piece(records));
        expect(r.dlq.map((d) => [d.reason, d.sequenceNumber, d.subSequenceNumber])).toEqual([
          ['processor_crash', records[1]!.sequenceNumber, null],
          ['processor_crash', records[3]!.sequenceNumber, null],
        ]);
        expect(Buffer.from(r.dlq[0]!.payloadBase64!, 'base64').toString()).toBe(poisoned);
        expect(r.counts.valid).toBe(3);
        expect(decodeChunks(r.cleansed).flatMap((c) => c.columns.product_id!)).toEqual(['SKU-0', 'SKU-1', 'SKU-2']);
        const lines = rawLines(r.raw).map(decodeRawLine);
        expect(lines.map((l) => Buffer.from(l.data).toString('base64'))).toEqual(records.map((x) => Buffer.from(x.data).toString('base64')));
        expect(pool.stats().crashedPieces).toBe(1);
        expect(pool.stats().crashedRecords).toBe(2);

        // The pool still works afterwards.
        const after = await pool.process(piece([kinesisRecord(validJson(7)), kinesisRecord(validJson(8))]));
        expect(after.counts.valid).toBe(2);
        expect(after.dlq).toHaveLength(0);
      } finally {
        await pool.close();
      }
    });
  }

  it('gives back whole a healthy piece that was queued on a thread that died, and blames only the record that killed it', async () => {
    // One thread, two tasks queued on it: the poisoned piece kills the thread and takes the healthy one down too.
    const pool = new ProcessorPool({ ...testOptions(), workers: 1, testHooks: { crashMarker: POISON, crashMode: 'exit' } });
    try {
      const poisoned = piece([kinesisRecord(validJson(0)), kinesisRecord(JSON.stringify({ ...JSON.parse(validJson(1)), note: POISON }))]);
      const healthy = piece([kinesisRecord(validJson(2)), kinesisRecord(validJson(3)), kinesisRecord(validJson(4))]);
      const [a, b] = await Promise.all([pool.process(poisoned), pool.process(healthy)]);
      expect(pool.stats().crashedPieces).toBe(2);
      expect(a.dlq.map((d) => [d.reason, d.sequenceNumber])).toEqual([['processor_crash', poisoned.records[1]!.sequenceNumber]]);
      expect(a.counts.valid).toBe(1);
      expect(b.dlq).toEqual([]);
      expect(b.counts.valid).toBe(3);
      expect(decodeChunks(b.cleansed).flatMap((c) => c.columns.product_id!)).toEqual(['SKU-2', 'SKU-3', 'SKU-4']);
      expect(pool.stats().crashedRecords).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('encodes a Parquet file again, alone, when its thread died of the piece queued beside it', async () => {
    const pool = new ProcessorPool({ ...testOptions(), workers: 1, testHooks: { crashMarker: POISON, crashMode: 'exit' } });
    try {
      const valid = await pool.process(piece([kinesisRecord(validJson(1)), kinesisRecord(validJson(2))]));
      const poisoned = piece([kinesisRecord(JSON.stringify({ ...JSON.parse(validJson(3)), note: POISON }))]);
      // The piece goes first and kills the thread the encode task is queued on.
      const [crashed, parquet] = await Promise.all([pool.process(poisoned), pool.encodeParquet(valid.cleansed.map((c) => c.chunk), 'snappy')]);
      expect(crashed.dlq.map((d) => d.reason)).toEqual(['processor_crash']);
      expect(Buffer.from(parquet.subarray(0, 4)).toString()).toBe('PAR1');
      expect(pool.stats().crashedPieces).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('fails to start with a ConfigError naming KL_PII_KEY when PII fields have no key', async () => {
    const err: unknown = await ProcessorPool.start({ ...testOptions({ piiKey: undefined }), workers: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('KL_PII_KEY');
  });

  it('fails to start with a ConfigError naming KL_SCHEMA_DIR when a schema does not compile in the workers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kl-bad-schema-'));
    try {
      writeFileSync(join(dir, 'click.schema.json'), JSON.stringify({ type: 'object', properties: { a: { type: 'no-such-type' } } }));
      const err: unknown = await ProcessorPool.start({ ...testOptions({ schemaDir: dir }), workers: 2 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('KL_SCHEMA_DIR');
      expect((err as ConfigError).message).toMatch(/click\.schema\.json does not compile/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts a pool that processes when the options are good', async () => {
    const pool = await ProcessorPool.start({ ...testOptions(), workers: 1 });
    try {
      const m = mixedPiece();
      expectMixedPieceResult(await pool.process(m.input), m);
    } finally {
      await pool.close();
    }
  });
});
