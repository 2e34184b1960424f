import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Output chunks, stored small (issue 19: a week of history keeps every job's
 * log). Most jobs write a few hundred bytes, in chunks too small for deflate
 * to win much; the few that write kilobytes hold most of the bytes. A chunk
 * of at least PACK_MIN_BYTES is stored deflated when that saves at least an
 * eighth of it; any other is stored as it came.
 *
 * A packed chunk's row says its length before packing (`size`; null: the
 * chunk is stored as it came, as every row written before packing was), so
 * where a log ends is still known without unpacking. Its data starts with a
 * version byte: 1 = raw deflate. A better packing is a new version; rows of
 * older ones still read.
 */

/** Chunks smaller than this are stored as they came. */
export const PACK_MIN_BYTES = 1024;
const VERSION = 1;

export class UnknownPackingError extends Error {
  override readonly name = 'UnknownPackingError';
}

/** What a chunk's row holds: its data, and its length before packing (null: not packed). */
export interface PackedChunk {
  data: Buffer;
  size: number | null;
}

export function packChunk(chunk: Uint8Array): PackedChunk {
  const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk.byteLength < PACK_MIN_BYTES) return { data, size: null };
  const body = deflateRawSync(data, { level: 6 });
  if (body.length + 1 > chunk.byteLength - chunk.byteLength / 8) return { data, size: null };
  const packed = Buffer.allocUnsafe(body.length + 1);
  packed[0] = VERSION;
  body.copy(packed, 1);
  return { data: packed, size: chunk.byteLength };
}

/** The chunk a row holds. Throws on a packing this master does not know (a row from a newer one). */
export function unpackChunk(data: Uint8Array, size: number | null): Uint8Array {
  if (size === null) return data;
  const version = data[0];
  if (version !== VERSION)
    throw new UnknownPackingError(`an output chunk is packed with version ${version}, which this master does not know`);
  // The row says how long the chunk was: a damaged row cannot inflate into more than that.
  return new Uint8Array(inflateRawSync(data.subarray(1), { maxOutputLength: Math.max(1, size) }));
}
