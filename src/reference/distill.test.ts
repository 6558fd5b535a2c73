import { describe, expect, it } from 'vitest';
import { randomTokens, Rng } from '../data/rng.ts';
import { crossentropyBackward, crossentropyForward, distillBackward, distillForward } from './index.ts';
import { checkGradient, randomArray } from './gradientCheck.ts';

// Tiny shapes, so every logit is perturbed.
const M = 6;
const V = 7;
const MASK_BITS = [1, 0, 1, 1, 0, 1];
// The global kept count may exceed this slice's mask sum of 4.
const KEPT = 5;

/** L = (1/k)·Σ_j m_j·[(1 − λ)·ℓ_j + λ·τ²·KL_j], with ℓ_j from crossentropyForward. */
function distillLoss(
  logits: Float64Array,
  teacherLogits: Float64Array,
  targets: Int32Array,
  mask: ArrayLike<number>,
  k: number,
  temperature: number,
  lambda: number,
): number {
  const losses = new Float64Array(M);
  crossentropyForward(losses, new Float64Array(M), new Float64Array(M * V), logits, targets, { M, V });
  const kl = new Float64Array(M);
  distillForward(kl, logits, teacherLogits, { M, V, temperature });

  let loss = 0;
  for (let j = 0; j < M; j++) {
    loss += mask[j] * ((1 - lambda) * losses[j] + lambda * temperature * temperature * kl[j]);
  }
  return loss / k;
}

describe('distill', () => {
  for (const temperature of [1, 2, 0.7]) {
    for (const lambda of [0, 0.5, 1]) {
      it(`backward matches finite differences τ=${temperature} λ=${lambda}`, () => {
        const rng = new Rng(11);
        const logits = randomArray(rng, M * V, 2);
        const teacherLogits = randomArray(rng, M * V, 3);
        const targets = randomTokens(rng, M, V);
        const mask = Uint32Array.from(MASK_BITS);
        const objective = () => distillLoss(logits, teacherLogits, targets, mask, KEPT, temperature, lambda);

        // dlogits starts with random values because the backward overwrites it.
        const dlogits = randomArray(rng, M * V);
        distillBackward(dlogits, logits, teacherLogits, targets, mask, KEPT, { M, V, temperature, lambda });

        checkGradient('logits', logits, dlogits, objective);
      });
    }
  }

  it('backward with λ=0 equals crossentropyBackward', () => {
    const rng = new Rng(12);
    const logits = randomArray(rng, M * V, 3);
    const teacherLogits = randomArray(rng, M * V, 3);
    const targets = randomTokens(rng, M, V);
    const mask = Float64Array.from(MASK_BITS);
    const probs = new Float64Array(M * V);
    crossentropyForward(new Float64Array(M), new Float64Array(M), probs, logits, targets, { M, V });

    const expected = new Float64Array(M * V);
    crossentropyBackward(expected, probs, targets, mask, KEPT, { M, V });
    const dlogits = new Float64Array(M * V);
    distillBackward(dlogits, logits, teacherLogits, targets, mask, KEPT, { M, V, temperature: 2, lambda: 0 });

    for (let i = 0; i < M * V; i++) {
      expect(dlogits[i], `dlogits[${i}]`).toBeCloseTo(expected[i], 14);
    }
  });

  it('backward writes 0 in masked rows', () => {
    const rng = new Rng(13);
    const logits = randomArray(rng, M * V, 3);
    const teacherLogits = randomArray(rng, M * V, 3);
    const targets = randomTokens(rng, M, V);
    const dlogits = randomArray(rng, M * V);

    distillBackward(dlogits, logits, teacherLogits, targets, Uint32Array.from(MASK_BITS), KEPT, { M, V, temperature: 2, lambda: 0.5 });

    for (let j = 0; j < M; j++) {
      if (MASK_BITS[j] !== 0) continue;
      for (let v = 0; v < V; v++) expect(dlogits[j * V + v], `dlogits[${j},${v}]`).toBe(0);
    }
  });

  it('forward KL is non-negative', () => {
    const rng = new Rng(14);
    for (const temperature of [0.5, 1, 2, 4]) {
      const kl = new Float64Array(M);
      distillForward(kl, randomArray(rng, M * V, 3), randomArray(rng, M * V, 3), { M, V, temperature });
      for (let j = 0; j < M; j++) expect(kl[j], `kl[${j}] at τ=${temperature}`).toBeGreaterThanOrEqual(0);
    }
  });

  it('forward KL is 0 for an identical teacher', () => {
    const logits = randomArray(new Rng(15), M * V, 3);
    const kl = new Float64Array(M);

    distillForward(kl, logits, Float64Array.from(logits), { M, V, temperature: 2 });

    for (let j = 0; j < M; j++) expect(kl[j], `kl[${j}]`).toBe(0);
  });

  it('forward KL at τ=2 matches its definition', () => {
    // Row 0: student logits 2·[0, ln 2, ln 3], teacher 2·[ln 3, ln 2, 0], so at τ=2
    // p_S = [1, 2, 3]/6 and p_T = [3, 2, 1]/6, and KL = (3·ln 3 − 1·ln 3)/6 = ln(3)/3.
    // Row 1 shifts the teacher by a constant, which leaves softmax and KL unchanged.
    const student = [0, Math.log(2), Math.log(3)].map((x) => 2 * x);
    const teacher = [Math.log(3), Math.log(2), 0].map((x) => 2 * x);
    const logits = Float64Array.from([...student, ...student]);
    const teacherLogits = Float64Array.from([...teacher, ...teacher.map((x) => x + 50)]);
    const kl = new Float64Array(2);

    distillForward(kl, logits, teacherLogits, { M: 2, V: 3, temperature: 2 });

    expect(kl[0], 'kl[0]').toBeCloseTo(Math.log(3) / 3, 14);
    expect(kl[1], 'kl[1]').toBeCloseTo(Math.log(3) / 3, 12);
  });

  it('forward ignores teacher terms with probability 0', () => {
    // A teacher logit of −∞ gives p_T = 0 and log p_T = −∞, so its term must add 0
    // rather than 0·(−∞) = NaN. KL = 1·(log 1 − log 1/2) = ln 2.
    const kl = new Float64Array(1);

    distillForward(kl, Float64Array.from([0, 0]), Float64Array.from([0, -Infinity]), { M: 1, V: 2, temperature: 1 });

    expect(kl[0]).toBeCloseTo(Math.log(2), 14);
  });

  it('rejects invalid temperature and lambda', () => {
    const logits = new Float64Array(M * V);
    const targets = new Int32Array(M);
    const mask = Uint32Array.from(MASK_BITS);
    const run = (temperature: number, lambda: number) => () =>
      distillBackward(new Float64Array(M * V), logits, logits, targets, mask, KEPT, { M, V, temperature, lambda });

    expect(run(0, 0.5)).toThrow(/temperature/);
    expect(run(-1, 0.5)).toThrow(/temperature/);
    expect(run(Number.NaN, 0.5)).toThrow(/temperature/);
    expect(run(1, 1.5)).toThrow(/lambda/);
    expect(run(1, Number.NaN)).toThrow(/lambda/);
    expect(() => distillForward(new Float64Array(M), logits, logits, { M, V, temperature: 0 })).toThrow(/temperature/);
  });
});
