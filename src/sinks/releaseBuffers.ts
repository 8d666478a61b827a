/**
 * Frees the memory under byte arrays their last user is done with, now
 * rather than at V8's next full collection. A piece's raw lines and column
 * chunks come from a worker thread and live until their raw file, or their
 * segment, is durable: seconds to minutes, so they are in the old
 * generation when let go, and the main thread's heap (~30 MB of objects)
 * rarely grows enough to call for a full collection. In the `memory` bench
 * (2026-11-23) the main thread's external memory stayed at 320 MB after the
 * budget had released every byte; in a throwaway test, 300 MB of buffers
 * transferred from a worker and dropped stayed in RSS for as long as it
 * ran, and went at once with ArrayBuffer.prototype.transfer(0).
 *
 * Only a buffer larger than Node's Buffer pool slab is freed: a smaller one
 * may be a slab other Buffers share. Callers own what they pass: outputs of
 * processPiece own their buffers (processors/packing.ts), one each.
 */

interface DetachableBuffer {
  readonly detached?: boolean;
  transfer?(newByteLength?: number): ArrayBuffer;
}

export function releaseBuffers(views: Iterable<Uint8Array>): void {
  for (const view of views) {
    const buffer = view.buffer;
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength <= Buffer.poolSize) continue;
    const detachable = buffer as DetachableBuffer;
    if (detachable.detached === true || detachable.transfer === undefined) continue;
    detachable.transfer(0);
  }
}
