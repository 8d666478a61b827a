import { describe, expect, it } from 'vitest';
import { releaseBuffers } from '../../src/sinks/releaseBuffers.js';

describe('releaseBuffers', () => {
  it('frees buffers larger than a Buffer pool slab, and leaves smaller ones (maybe shared) alone', () => {
    const big = new Uint8Array(64 * 1024).fill(7);
    const view = big.subarray(0, 100);
    const small = new Uint8Array(Buffer.poolSize);
    const pooled = Buffer.from('shared with other small Buffers');
    const neighbour = Buffer.from('a neighbour in the same slab');
    releaseBuffers([view, small, pooled]);
    expect(big.buffer.byteLength).toBe(0);
    expect(view.byteLength).toBe(0);
    expect(small.byteLength).toBe(Buffer.poolSize);
    expect(pooled.toString()).toBe('shared with other small Buffers');
    expect(neighbour.toString()).toBe('a neighbour in the same slab');
    // Twice is harmless (a detached buffer is skipped).
    expect(() => releaseBuffers([big])).not.toThrow();
  });
});
