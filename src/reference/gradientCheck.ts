// Test helpers: central finite-difference gradient checks in float64.

import { Rng } from '../data/rng.ts';

export interface GradientCheckOptions {
  /** Finite-difference step. */
  h?: number;
  /** Maximum relative error |a − n| / max(|a|, |n|, floor). */
  tolerance?: number;
  /**
   * Smallest denominator of the relative error, so gradients near 0 are compared on
   * absolute error ≤ tolerance·floor instead of on noise-dominated ratios.
   */
  floor?: number;
  /** Elements to perturb. All elements are perturbed when omitted. */
  indices?: number[];
}

/**
 * Compares analytic[i] with the central difference (f(x + h) − f(x − h)) / 2h of
 * `objective` at each checked element i of `input`, restoring input afterwards.
 * Throws an error naming the first mismatching element, both values, the maximum
 * error and the tolerance. Returns the maximum relative error.
 *
 * With h = 1e-6 the truncation error is about h²·|f'''| ≈ 1e-12 and the rounding error
 * about 1e-16·|f| / h ≈ 1e-10·|f|, so 1e-6 relative leaves a wide margin for O(1) objectives.
 */
export function checkGradient(
  name: string,
  input: Float64Array,
  analytic: Float64Array,
  objective: () => number,
  { h = 1e-6, tolerance = 1e-6, floor = 1e-3, indices }: GradientCheckOptions = {},
): number {
  if (analytic.length !== input.length) {
    throw new Error(`gradient of ${name}: analytic has ${analytic.length} elements, input has ${input.length}`);
  }
  const checked = indices ?? Array.from({ length: input.length }, (_, i) => i);

  let maxError = 0;
  let firstMismatch: string | null = null;
  for (const i of checked) {
    const saved = input[i];
    input[i] = saved + h;
    const plus = objective();
    input[i] = saved - h;
    const minus = objective();
    input[i] = saved;

    const numeric = (plus - minus) / (2 * h);
    const error = Math.abs(analytic[i] - numeric) / Math.max(Math.abs(analytic[i]), Math.abs(numeric), floor);
    maxError = Math.max(maxError, error);
    if (!(error <= tolerance) && firstMismatch === null) {
      firstMismatch = `gradient of ${name}[${i}]: analytic ${analytic[i]}, numeric ${numeric}, relative error ${error}`;
    }
  }

  if (firstMismatch !== null) {
    throw new Error(
      `${firstMismatch}. Maximum relative error ${maxError} over ${checked.length} elements, tolerance ${tolerance}`,
    );
  }
  return maxError;
}

/** Returns an array of n values drawn from N(0, scale²). */
export function randomArray(rng: Rng, n: number, scale = 1): Float64Array {
  const array = new Float64Array(n);
  for (let i = 0; i < n; i++) array[i] = rng.normal() * scale;
  return array;
}

/** Returns Σ_i out[i]·weights[i], the random linear functional whose gradient is `weights`. */
export function dot(out: Float64Array, weights: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i] * weights[i];
  return sum;
}

/**
 * Fills each gradient buffer with random values, runs an accumulating backward, and
 * returns what it added to each buffer. A backward that overwrote instead of adding
 * would lose the random start and fail the gradient check.
 */
export function accumulatedGradients(rng: Rng, buffers: Float64Array[], backward: () => void): Float64Array[] {
  const starts = buffers.map((buffer) => {
    for (let i = 0; i < buffer.length; i++) buffer[i] = rng.normal();
    return Float64Array.from(buffer);
  });
  backward();
  return buffers.map((buffer, b) => buffer.map((value, i) => value - starts[b][i]));
}
