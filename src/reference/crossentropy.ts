// Float64 CPU reference of the fused softmax / cross-entropy / entropy pass and of the
// masked cross-entropy backward that starts every ESLM backward.

import { checkLength, checkSizes, checkTokenIds } from './shapes.ts';

export interface CrossentropySizes { M: number; V: number }

/**
 * Computes, per row j of logits, probs = softmax(logits) with the row maximum
 * subtracted, the loss −log p[target_j] and the entropy −Σ_v p_v·log p_v.
 * Both use log p_v = z_v − log Σ exp z with z = logit − max, rather than log of a
 * rounded probability. Entropy is summed as Σ p_v·(log Σ exp z − z_v), whose terms
 * are all ≥ 0, so a term with p_v = 0 adds 0 and neither output is ever −0.
 */
export function crossentropyForward(
  losses: Float64Array, // (M)
  entropies: Float64Array, // (M)
  probs: Float64Array, // (M,V)
  logits: Float64Array, // (M,V)
  targets: Int32Array, // (M)
  { M, V }: CrossentropySizes,
): void {
  checkSizes('crossentropyForward', { M, V });
  checkLength('losses', losses, M, '(M)');
  checkLength('entropies', entropies, M, '(M)');
  checkLength('probs', probs, M * V, '(M,V)');
  checkLength('logits', logits, M * V, '(M,V)');
  checkLength('targets', targets, M, '(M)');
  checkTokenIds('targets', targets, V);

  for (let j = 0; j < M; j++) {
    const row = j * V;

    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[row + v]);

    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[row + v] - max);
    const logSum = Math.log(sum);

    let entropy = 0;
    for (let v = 0; v < V; v++) {
      const p = Math.exp(logits[row + v] - max) / sum;
      probs[row + v] = p;
      if (p > 0) entropy += p * (logSum - (logits[row + v] - max));
    }
    losses[j] = logSum - (logits[row + targets[j]] - max);
    entropies[j] = entropy;
  }
}

/**
 * Writes the gradient of L = (1/k)·Σ_j mask_j·loss_j with respect to the logits:
 * dlogits[j,v] = (mask_j / k)·(p[j,v] − [v = target_j]). Overwrites dlogits, so rows
 * with mask 0 become 0.
 */
export function crossentropyBackward(
  dlogits: Float64Array, // (M,V)
  probs: Float64Array, // (M,V)
  targets: Int32Array, // (M)
  mask: Float64Array | Uint32Array, // (M) 0 or 1
  k: number,
  { M, V }: CrossentropySizes,
): void {
  checkSizes('crossentropyBackward', { M, V });
  checkLength('dlogits', dlogits, M * V, '(M,V)');
  checkLength('probs', probs, M * V, '(M,V)');
  checkLength('targets', targets, M, '(M)');
  checkLength('mask', mask, M, '(M)');
  checkTokenIds('targets', targets, V);
  if (!Number.isInteger(k) || k < 1) {
    throw new Error(`invalid k: the kept-token count must be a positive integer, got ${k}`);
  }

  for (let j = 0; j < M; j++) {
    const row = j * V;
    const weight = mask[j] / k;
    for (let v = 0; v < V; v++) {
      const indicator = v === targets[j] ? 1 : 0;
      dlogits[row + v] = weight * (probs[row + v] - indicator);
    }
  }
}
