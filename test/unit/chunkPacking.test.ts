import { describe, expect, it } from 'vitest';
import { packChunks, unpackChunks } from '../../src/processors/packing.js';

describe('packChunks', () => {
  it('packs chunks of any length into one buffer and gives each back whole, on an 8-byte boundary', () => {
    const chunks = [1, 8, 0, 13, 64, 7].map((n, k) => Uint8Array.from({ length: n }, (_, i) => (k * 31 + i) % 251));
    const { packed, lengths } = packChunks(chunks);
    expect(packed).toBeInstanceOf(ArrayBuffer);
    const back = unpackChunks(packed, lengths);
    expect(back.map((c) => [...c])).toEqual(chunks.map((c) => [...c]));
    for (const c of back) expect(c.byteOffset % 8).toBe(0);
  });

  it('copies: changing the packed buffer leaves the chunks as they were', () => {
    const chunk = Uint8Array.of(1, 2, 3);
    const { packed } = packChunks([chunk]);
    new Uint8Array(packed).fill(9);
    expect([...chunk]).toEqual([1, 2, 3]);
  });
});
