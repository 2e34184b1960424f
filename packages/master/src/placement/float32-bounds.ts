/**
 * Rounding up to 32-bit floats, for upper bounds kept in a Float32Array:
 * `Math.fround` rounds to the nearest float32, which may be below the value;
 * an upper bound must never be.
 */
const float = new Float32Array(1);
const bits = new Int32Array(float.buffer);
/** The smallest positive float32 (a subnormal). */
const TINIEST = 2 ** -149;

/** The next float32 above `r`, itself a finite float32 (Infinity above the largest). */
function nextUp(r: number): number {
  if (r === 0) return TINIEST;
  float[0] = r;
  // The bit patterns of floats of one sign are ordered like their magnitudes.
  bits[0] = (bits[0] as number) + (r > 0 ? 1 : -1);
  return float[0] as number;
}

/** The smallest float32 at least `x` (Infinity and NaN stay as they are). */
export function roundUp32(x: number): number {
  const r = Math.fround(x);
  return r >= x || r !== r ? r : nextUp(r);
}
