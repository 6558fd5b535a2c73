// AdamW and global gradient-norm clipping, the float64 twins of the GPU optimizer.

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay. Pass 0 for tensors that are not decayed. */
  weightDecay: number;
  /** 1-based step t, used in the bias corrections 1 − β^t. */
  step: number;
  /** Multiplier applied to every gradient first (the clipping scale). Default 1. */
  gradScale?: number;
}

/**
 * Applies one AdamW step (Loshchilov & Hutter, decoupled weight decay) to one tensor,
 * updating params, m and v in place. With g = gradScale·grad:
 * m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g², m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t),
 * p −= lr·(m̂/(√v̂ + eps) + weightDecay·p).
 */
export function adamwUpdate(
  params: Float64Array, // (P)
  grads: Float64Array, // (P)
  m: Float64Array, // (P) first moment
  v: Float64Array, // (P) second moment
  { lr, beta1, beta2, eps, weightDecay, step, gradScale = 1 }: AdamWOptions,
): void {
  const P = params.length;
  if (grads.length !== P || m.length !== P || v.length !== P) {
    throw new Error(
      `invalid AdamW buffers: params, grads, m and v must have equal lengths, ` +
        `got ${P}, ${grads.length}, ${m.length}, ${v.length}`,
    );
  }
  if (!Number.isInteger(step) || step < 1) throw new Error(`invalid AdamW step ${step}: must be an integer ≥ 1`);

  const correction1 = 1 - beta1 ** step;
  const correction2 = 1 - beta2 ** step;

  for (let i = 0; i < P; i++) {
    const g = grads[i] * gradScale;
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    const mHat = m[i] / correction1;
    const vHat = v[i] / correction2;
    params[i] -= lr * (mHat / (Math.sqrt(vHat) + eps) + weightDecay * params[i]);
  }
}

/** Returns the L2 norm √(Σ g²) of a gradient buffer. */
export function gradNorm(grads: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < grads.length; i++) sum += grads[i] * grads[i];
  return Math.sqrt(sum);
}

/**
 * Returns the gradient multiplier of global-norm clipping, exactly:
 * maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.
 * maxNorm ≤ 0 disables clipping.
 */
export function clipScale(norm: number, maxNorm: number): number {
  return maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
}
