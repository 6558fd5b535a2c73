// Float64 CPU reference of the knowledge-distillation loss of ESLM-KD. Per token j with
// student logits z, frozen-teacher logits u, temperature τ, weight λ and mask m_j:
//   L = (1/k)·Σ_j m_j·[(1 − λ)·ℓ_j + λ·τ²·KL_j],
// where ℓ_j = −log softmax(z)[target_j] is ordinary cross-entropy and
// KL_j = KL(softmax(u/τ) ‖ softmax(z/τ)).

import { checkLength, checkSizes, checkTokenIds } from './shapes.ts';

export interface DistillSizes {
  M: number;
  V: number;
  /** Temperature τ > 0, which divides the logits in both softmaxes of the KL term. */
  temperature: number;
}

export interface DistillBackwardSizes extends DistillSizes {
  /** Weight λ ∈ [0, 1] of the KL term against cross-entropy. */
  lambda: number;
}

function checkTemperature(op: string, temperature: number): void {
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw new Error(`invalid temperature for ${op}: expected a finite number > 0, got ${temperature}`);
  }
}

/** Writes log softmax(row/τ) of one row of logits into `out`. */
function logSoftmax(out: Float64Array, logits: Float64Array, row: number, V: number, temperature: number): void {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[row + v] / temperature);

  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[row + v] / temperature - max);
  const logSum = Math.log(sum);

  for (let v = 0; v < V; v++) out[v] = logits[row + v] / temperature - max - logSum;
}

/**
 * Writes KL_j = Σ_v p_T[v]·(log p_T[v] − log p_S[v]) per row, with p_S = softmax(z/τ) of
 * the student logits and p_T = softmax(u/τ) of the teacher logits. Terms with p_T = 0
 * add 0. Log-probabilities come from the logits, not from logs of rounded probabilities.
 */
export function distillForward(
  kl: Float64Array, // (M)
  logits: Float64Array, // (M,V)
  teacherLogits: Float64Array, // (M,V)
  { M, V, temperature }: DistillSizes,
): void {
  checkSizes('distillForward', { M, V });
  checkTemperature('distillForward', temperature);
  checkLength('kl', kl, M, '(M)');
  checkLength('logits', logits, M * V, '(M,V)');
  checkLength('teacherLogits', teacherLogits, M * V, '(M,V)');

  const logStudent = new Float64Array(V);
  const logTeacher = new Float64Array(V);
  for (let j = 0; j < M; j++) {
    logSoftmax(logStudent, logits, j * V, V, temperature);
    logSoftmax(logTeacher, teacherLogits, j * V, V, temperature);

    let divergence = 0;
    for (let v = 0; v < V; v++) {
      const pTeacher = Math.exp(logTeacher[v]);
      if (pTeacher > 0) divergence += pTeacher * (logTeacher[v] - logStudent[v]);
    }
    kl[j] = divergence;
  }
}

/**
 * Overwrites dlogits with the gradient of the whole loss L (cross-entropy part
 * included) with respect to the student logits:
 *   dL/dz[j,v] = (m_j/k)·[(1 − λ)·(p[v] − [v = target_j]) + λ·τ·(p_S[v] − p_T[v])],
 * with p = softmax(z), p_S = softmax(z/τ) and p_T = softmax(u/τ). The KL factor is
 * τ²·(1/τ), because d KL/dz = (p_S − p_T)/τ. Rows with mask 0 become 0, and with λ = 0
 * the result equals crossentropyBackward's.
 */
export function distillBackward(
  dlogits: Float64Array, // (M,V)
  logits: Float64Array, // (M,V)
  teacherLogits: Float64Array, // (M,V)
  targets: Int32Array, // (M)
  mask: Float64Array | Uint32Array, // (M) 0 or 1
  k: number,
  { M, V, temperature, lambda }: DistillBackwardSizes,
): void {
  checkSizes('distillBackward', { M, V });
  checkTemperature('distillBackward', temperature);
  if (!(lambda >= 0 && lambda <= 1)) {
    throw new Error(`invalid lambda for distillBackward: expected a number in [0, 1], got ${lambda}`);
  }
  checkLength('dlogits', dlogits, M * V, '(M,V)');
  checkLength('logits', logits, M * V, '(M,V)');
  checkLength('teacherLogits', teacherLogits, M * V, '(M,V)');
  checkLength('targets', targets, M, '(M)');
  checkLength('mask', mask, M, '(M)');
  checkTokenIds('targets', targets, V);
  if (!Number.isInteger(k) || k < 1) {
    throw new Error(`invalid k: the kept-token count must be a positive integer, got ${k}`);
  }

  const logProbs = new Float64Array(V);
  const logStudent = new Float64Array(V);
  const logTeacher = new Float64Array(V);
  for (let j = 0; j < M; j++) {
    const row = j * V;
    if (mask[j] === 0) {
      // Written as +0, as the kernel does, rather than 0·(negative) = −0.
      dlogits.fill(0, row, row + V);
      continue;
    }
    const weight = mask[j] / k;
    logSoftmax(logProbs, logits, row, V, 1);
    logSoftmax(logStudent, logits, row, V, temperature);
    logSoftmax(logTeacher, teacherLogits, row, V, temperature);

    for (let v = 0; v < V; v++) {
      const indicator = v === targets[j] ? 1 : 0;
      const crossentropyGrad = Math.exp(logProbs[v]) - indicator;
      // τ²·dKL/dz[v]
      const klGrad = temperature * (Math.exp(logStudent[v]) - Math.exp(logTeacher[v]));
      dlogits[row + v] = weight * ((1 - lambda) * crossentropyGrad + lambda * klGrad);
    }
  }
}
