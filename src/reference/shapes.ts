// Argument checks shared by the reference ops. A wrong buffer size in a test setup
// otherwise shows up as NaN or a silent read past the intended tensor.

type NumericArray = Float64Array | Float32Array | Int32Array | Uint32Array;

/** Throws unless `array` has exactly `expected` elements. */
export function checkLength(name: string, array: NumericArray, expected: number, shape: string): void {
  if (array.length !== expected) {
    throw new Error(`invalid ${name}: expected ${expected} elements ${shape}, got ${array.length}`);
  }
}

/** Throws unless every size is a positive integer. */
export function checkSizes(op: string, sizes: Record<string, number>): void {
  for (const [key, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`invalid sizes for ${op}: ${key} must be a positive integer, got ${value}`);
    }
  }
}

/** Throws unless every token id (or target) lies in [0, V). */
export function checkTokenIds(name: string, ids: Int32Array, V: number): void {
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0 || ids[i] >= V) {
      throw new Error(`invalid ${name}[${i}] = ${ids[i]}: token ids must lie in [0, ${V})`);
    }
  }
}
