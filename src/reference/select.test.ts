import { describe, expect, it } from 'vitest';
import { Rng } from '../data/rng.ts';
import { cvar, keptCount, selectTopK } from './index.ts';

function select(scores: Float64Array, k: number) {
  const mask = new Uint32Array(scores.length);
  const keptIndices = new Uint32Array(k);
  const result = selectTopK(mask, keptIndices, scores, k);
  return { mask, keptIndices, ...result };
}

describe('keptCount', () => {
  const cases: [alpha: number, M: number, expected: number][] = [
    [0, 100, 100],
    [0, 1, 1],
    [0.5, 128, 64],
    [0.7, 100, 30],
    [0.9, 10, 1],
    [0.75, 10, 3], // 2.5 rounds up
    [0.999, 100, 1], // 0.1 rounds up to 1
    [0.999, 5000, 5],
    [0.999, 1, 1],
    [0.5, 1, 1],
  ];
  for (const [alpha, M, expected] of cases) {
    it(`gives ${expected} for alpha ${alpha} and M ${M}`, () => {
      expect(keptCount(alpha, M)).toBe(expected);
    });
  }

  it('rejects alpha outside [0, 1)', () => {
    for (const alpha of [1, -0.1, 1.5, NaN]) {
      expect(() => keptCount(alpha, 10), `alpha ${alpha}`).toThrow(/invalid alpha/);
    }
  });

  it('rejects M that is not a positive integer', () => {
    for (const M of [0, -3, 2.5]) {
      expect(() => keptCount(0.5, M), `M ${M}`).toThrow(/invalid M/);
    }
  });
});

describe('selectTopK', () => {
  it('keeps exactly the k largest scores', () => {
    const rng = new Rng(11);
    const scores = Float64Array.from({ length: 50 }, () => Math.fround(rng.uniform() * 5));
    const k = 17;

    const { mask, keptIndices, threshold, keptCount: kept } = select(scores, k);

    const sorted = Array.from(scores).sort((a, b) => b - a);
    expect(kept).toBe(k);
    expect(mask.reduce((a, m) => a + m, 0)).toBe(k);
    expect(threshold).toBe(sorted[k - 1]);
    for (let j = 0; j < scores.length; j++) {
      const expected = scores[j] >= sorted[k - 1] ? 1 : 0;
      expect(mask[j], `mask[${j}] for score ${scores[j]}, threshold ${threshold}`).toBe(expected);
    }
    for (let r = 1; r < k; r++) {
      expect(keptIndices[r], `keptIndices[${r}]`).toBeGreaterThan(keptIndices[r - 1]);
    }
    for (const j of keptIndices) expect(mask[j], `mask at kept index ${j}`).toBe(1);
  });

  it('breaks ties by lower flat index', () => {
    // Twenty equal scores, except a larger one at index 9 and a smaller one at index 15.
    const scores = new Float64Array(20).fill(1);
    scores[9] = 3;
    scores[15] = 0.5;

    const { mask, keptIndices, threshold } = select(scores, 5);

    expect(Array.from(keptIndices)).toEqual([0, 1, 2, 3, 9]);
    expect(threshold).toBe(1);
    expect(mask.reduce((a, m) => a + m, 0)).toBe(5);
  });

  it('compares scores as float32 values', () => {
    // 1 + 1e-10 and 1 are one float32 value, so the lower index wins the tie.
    const scores = Float64Array.from([1, 1 + 1e-10, 0.25]);

    const { keptIndices, threshold } = select(scores, 1);

    expect(Array.from(keptIndices)).toEqual([0]);
    expect(threshold).toBe(1);
  });

  it('returns the threshold as a float32 value', () => {
    const scores = Float64Array.from([0.1, 0.2, 0.3]);

    const { threshold } = select(scores, 2);

    expect(threshold).toBe(Math.fround(0.2));
  });

  it('keeps everything when k equals M', () => {
    const scores = Float64Array.from([0, 2, 1, 0]);

    const { mask, keptIndices, threshold } = select(scores, 4);

    expect(Array.from(mask)).toEqual([1, 1, 1, 1]);
    expect(Array.from(keptIndices)).toEqual([0, 1, 2, 3]);
    expect(threshold).toBe(0);
  });

  it('treats -0 as 0', () => {
    const scores = Float64Array.from([0, -0, 0]);

    const { keptIndices } = select(scores, 2);

    expect(Array.from(keptIndices)).toEqual([0, 1]);
  });

  it('rejects invalid k, scores and buffers', () => {
    const scores = Float64Array.from([1, 2, 3]);
    expect(() => selectTopK(new Uint32Array(3), new Uint32Array(3), scores, 0)).toThrow(/invalid k 0/);
    expect(() => selectTopK(new Uint32Array(3), new Uint32Array(4), scores, 4)).toThrow(/invalid k 4/);
    expect(() => selectTopK(new Uint32Array(2), new Uint32Array(1), scores, 1)).toThrow(/invalid mask/);
    expect(() => selectTopK(new Uint32Array(3), new Uint32Array(1), scores, 2)).toThrow(/invalid keptIndices/);
    expect(() => selectTopK(new Uint32Array(3), new Uint32Array(1), Float64Array.from([1, Infinity, 0]), 1))
      .toThrow(/scores\[1\] = Infinity/);
    expect(() => selectTopK(new Uint32Array(3), new Uint32Array(1), Float64Array.from([1, NaN, 0]), 1))
      .toThrow(/scores\[1\] = NaN/);
  });
});

describe('selectTopK with negative scores', () => {
  it('orders negatives below zero and ties -0 with +0', () => {
    const mask = new Uint32Array(5);
    const kept = new Uint32Array(5);
    const result = selectTopK(mask, kept, Float64Array.from([-2, 0, -0.5, -0, 3]), 3);
    expect(Array.from(mask)).toEqual([0, 1, 0, 1, 1]);
    expect(Math.abs(result.threshold)).toBe(0); // -0 and +0 are the same value here
  });
});

describe('cvar', () => {
  it('equals the mean of the kept scores', () => {
    const rng = new Rng(12);
    const scores = Float64Array.from({ length: 100 }, () => Math.fround(rng.uniform() * 4));
    for (const alpha of [0, 0.5, 0.7, 0.9, 0.999]) {
      const k = keptCount(alpha, scores.length);
      const { mask } = select(scores, k);

      let keptSum = 0;
      for (let j = 0; j < scores.length; j++) keptSum += mask[j] * scores[j];

      const value = cvar(scores, alpha);
      expect(Math.abs(value - keptSum / k), `alpha ${alpha}: cvar ${value}, kept mean ${keptSum / k}`)
        .toBeLessThan(1e-12);
    }
  });

  it('at alpha 0 is the mean of all scores', () => {
    expect(cvar(Float64Array.from([1, 2, 3, 6]), 0)).toBe(3);
  });

  it('at alpha 0.5 is the mean of the upper half', () => {
    expect(cvar(Float64Array.from([4, 1, 8, 2]), 0.5)).toBe(6);
  });
});
