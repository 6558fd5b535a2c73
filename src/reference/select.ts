// Value-at-risk token selection: keep the k tokens with the largest risk scores.

/** Relative distance to an integer below which (1 − α)·M counts as that integer. */
const KEPT_COUNT_SNAP = 1e-9;

/**
 * Returns k = ceil((1 − α)·M), the number of kept tokens, clamped to [1, M].
 * (1 − α)·M is first snapped to the nearest integer when it lies within 1e-9 relative
 * of it, so float error cannot add a token: (1 − 0.7)·100 is 30.000000000000004 in
 * float64 and gives 30. Throws for α outside [0, 1) or M not a positive integer.
 */
export function keptCount(alpha: number, M: number): number {
  if (!(alpha >= 0 && alpha < 1)) {
    throw new Error(`invalid alpha ${alpha}: the confidence level must lie in [0, 1)`);
  }
  if (!Number.isInteger(M) || M < 1) {
    throw new Error(`invalid M ${M}: the token count must be a positive integer`);
  }

  let exactCount = (1 - alpha) * M;
  const nearest = Math.round(exactCount);
  if (Math.abs(exactCount - nearest) <= KEPT_COUNT_SNAP * Math.max(1, exactCount)) exactCount = nearest;

  return Math.min(M, Math.max(1, Math.ceil(exactCount)));
}

export interface TopKResult {
  /** VaR: the smallest kept score, as a float32 value. */
  threshold: number;
  keptCount: number;
}

/**
 * Keeps exactly the k largest scores, ties broken by the lower flat index first.
 * Writes mask[j] = 1 for kept tokens and 0 otherwise, and the kept flat indices in
 * increasing order into keptIndices[0..k). Entries of keptIndices from k on are left
 * as they are, so a buffer of M entries works.
 *
 * Scores are compared as float32 values (Math.fround) because the GPU selects on f32
 * bit patterns. Two scores that differ in float64 but round to one float32 are a tie.
 * Scores must be finite; they may be negative (Rho-1's excess loss). −0 ties with +0
 * because values are compared, so the GPU maps −0 to +0 before building its keys.
 */
export function selectTopK(
  mask: Uint32Array, // (M) out
  keptIndices: Uint32Array, // (k) out, increasing
  scores: Float64Array, // (M)
  k: number,
): TopKResult {
  const M = scores.length;
  if (mask.length !== M) throw new Error(`invalid mask: expected ${M} elements (M), got ${mask.length}`);
  if (!Number.isInteger(k) || k < 1 || k > M) {
    throw new Error(`invalid k ${k}: the kept count must be an integer in [1, ${M}]`);
  }
  if (keptIndices.length < k) {
    throw new Error(`invalid keptIndices: needs at least k = ${k} elements, got ${keptIndices.length}`);
  }

  const rounded = new Float64Array(M);
  for (let j = 0; j < M; j++) {
    if (!Number.isFinite(scores[j])) throw new Error(`invalid scores[${j}] = ${scores[j]}: scores must be finite`);
    rounded[j] = Math.fround(scores[j]);
  }

  // Order by score, largest first, then by flat index, lowest first.
  const order = Array.from({ length: M }, (_, j) => j);
  order.sort((a, b) => (rounded[b] - rounded[a]) || (a - b));

  mask.fill(0);
  for (let r = 0; r < k; r++) mask[order[r]] = 1;

  let written = 0;
  for (let j = 0; j < M; j++) {
    if (mask[j] === 1) keptIndices[written++] = j;
  }

  return { threshold: rounded[order[k - 1]], keptCount: k };
}

/**
 * Returns the empirical CVaR at level α: the mean of the k = keptCount(α, M) largest
 * scores, found by sorting a copy. It compares float64 values, so it agrees with
 * selectTopK only when the scores are float32-representable or have no float32 ties
 * at the threshold.
 */
export function cvar(scores: Float64Array, alpha: number): number {
  const k = keptCount(alpha, scores.length);
  const sorted = Float64Array.from(scores).sort().reverse();

  let sum = 0;
  for (let r = 0; r < k; r++) sum += sorted[r];
  return sum / k;
}
