import { describe, expect, it } from 'vitest';
import { randomTokens, Rng } from '../data/rng.ts';
import { LAYERNORM_EPS } from '../model/config.ts';
import {
  attentionBackward, attentionForward, crossentropyBackward, crossentropyForward,
  encoderBackward, encoderForward, geluBackward, geluForward, layernormBackward,
  layernormForward, matmulBackward, matmulForward, residualBackward, residualForward,
} from './index.ts';
import { accumulatedGradients, checkGradient, dot, randomArray } from './gradientCheck.ts';

// Tiny shapes, so every element of every input is perturbed.
const B = 2;
const T = 3;
const C = 4;
const NH = 2;
const V = 7;
const N = B * T;

describe('encoder', () => {
  it('backward matches finite differences', () => {
    const rng = new Rng(1);
    const maxT = T + 2;
    const inp = randomTokens(rng, N, V);
    const wte = randomArray(rng, V * C);
    const wpe = randomArray(rng, maxT * C);
    const R = randomArray(rng, N * C);
    const out = new Float64Array(N * C);
    const objective = () => {
      encoderForward(out, inp, wte, wpe, { B, T, C });
      return dot(out, R);
    };

    const dwte = new Float64Array(V * C);
    const dwpe = new Float64Array(maxT * C);
    const [gradWte, gradWpe] = accumulatedGradients(rng, [dwte, dwpe],
      () => encoderBackward(dwte, dwpe, R, inp, { B, T, C }));

    checkGradient('wte', wte, gradWte, objective);
    checkGradient('wpe', wpe, gradWpe, objective);
  });

  it('forward adds token and position rows', () => {
    const inp = Int32Array.from([2, 0, 1, 2, 2, 0]);
    const wte = Float64Array.from({ length: V * C }, (_, i) => i);
    const wpe = Float64Array.from({ length: T * C }, (_, i) => 1000 * i);
    const out = new Float64Array(N * C);

    encoderForward(out, inp, wte, wpe, { B, T, C });

    for (let bt = 0; bt < N; bt++) {
      for (let i = 0; i < C; i++) {
        expect(out[bt * C + i], `out[${bt},${i}]`).toBe(wte[inp[bt] * C + i] + wpe[(bt % T) * C + i]);
      }
    }
  });

  it('forward rejects out-of-range token ids', () => {
    const inp = Int32Array.from([0, 1, 2, 3, 4, V]);
    expect(() => encoderForward(new Float64Array(N * C), inp, new Float64Array(V * C), new Float64Array(T * C),
      { B, T, C })).toThrow(/inp\[5\] = 7/);
  });
});

describe('layernorm', () => {
  it('backward matches finite differences', () => {
    const rng = new Rng(2);
    const inp = randomArray(rng, N * C, 2);
    const weight = randomArray(rng, C);
    const bias = randomArray(rng, C);
    const R = randomArray(rng, N * C);
    const out = new Float64Array(N * C);
    const mean = new Float64Array(N);
    const rstd = new Float64Array(N);
    const objective = () => {
      layernormForward(out, mean, rstd, inp, weight, bias, { N, C });
      return dot(out, R);
    };
    objective();

    const dinp = new Float64Array(N * C);
    const dweight = new Float64Array(C);
    const dbias = new Float64Array(C);
    const [gradInp, gradWeight, gradBias] = accumulatedGradients(rng, [dinp, dweight, dbias],
      () => layernormBackward(dinp, dweight, dbias, R, inp, weight, mean, rstd, { N, C }));

    checkGradient('inp', inp, gradInp, objective);
    checkGradient('weight', weight, gradWeight, objective);
    checkGradient('bias', bias, gradBias, objective);
  });

  it('forward normalises with biased variance', () => {
    const inp = Float64Array.from([1, 2, 3, 6]);
    const out = new Float64Array(4);
    const mean = new Float64Array(1);
    const rstd = new Float64Array(1);

    layernormForward(out, mean, rstd, inp, Float64Array.from([1, 1, 1, 1]), new Float64Array(4), { N: 1, C: 4 });

    // mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5.
    expect(mean[0]).toBe(3);
    expect(rstd[0]).toBeCloseTo(1 / Math.sqrt(3.5 + LAYERNORM_EPS), 14);
    expect(out[3]).toBeCloseTo(3 / Math.sqrt(3.5 + LAYERNORM_EPS), 14);
  });
});

describe('matmul', () => {
  for (const withBias of [true, false]) {
    it(`backward matches finite differences ${withBias ? 'with' : 'without'} bias`, () => {
      const rng = new Rng(3);
      const OC = 5;
      const inp = randomArray(rng, N * C);
      const weight = randomArray(rng, OC * C);
      const bias = withBias ? randomArray(rng, OC) : null;
      const R = randomArray(rng, N * OC);
      const out = new Float64Array(N * OC);
      const objective = () => {
        matmulForward(out, inp, weight, bias, { N, C, OC });
        return dot(out, R);
      };

      const dinp = new Float64Array(N * C);
      const dweight = new Float64Array(OC * C);
      const dbias = withBias ? new Float64Array(OC) : null;
      const buffers = dbias === null ? [dinp, dweight] : [dinp, dweight, dbias];
      const [gradInp, gradWeight, gradBias] = accumulatedGradients(rng, buffers,
        () => matmulBackward(dinp, dweight, dbias, R, inp, weight, { N, C, OC }));

      checkGradient('inp', inp, gradInp, objective);
      checkGradient('weight', weight, gradWeight, objective);
      if (bias !== null) checkGradient('bias', bias, gradBias, objective);
    });
  }

  it('forward computes inp times weight transposed plus bias', () => {
    const inp = Float64Array.from([1, 2]); // (1,2)
    const weight = Float64Array.from([3, 4, 5, 6, 7, 8]); // (3,2)
    const bias = Float64Array.from([0.5, 0, -1]);
    const out = new Float64Array(3);

    matmulForward(out, inp, weight, bias, { N: 1, C: 2, OC: 3 });

    expect(Array.from(out)).toEqual([11.5, 17, 22]);
  });
});

describe('attention', () => {
  function setup(seed: number) {
    const rng = new Rng(seed);
    return {
      rng,
      inp: randomArray(rng, N * 3 * C),
      out: new Float64Array(N * C),
      preatt: new Float64Array(B * NH * T * T),
      att: new Float64Array(B * NH * T * T),
    };
  }

  it('backward matches finite differences', () => {
    const { rng, inp, out, preatt, att } = setup(4);
    const R = randomArray(rng, N * C);
    const objective = () => {
      attentionForward(out, preatt, att, inp, { B, T, C, NH });
      return dot(out, R);
    };
    objective();

    // The scratch buffers start with random values because the backward overwrites them.
    const dinp = new Float64Array(N * 3 * C);
    const dpreatt = randomArray(rng, B * NH * T * T);
    const datt = randomArray(rng, B * NH * T * T);
    const [gradInp] = accumulatedGradients(rng, [dinp],
      () => attentionBackward(dinp, dpreatt, datt, R, inp, att, { B, T, C, NH }));

    checkGradient('inp', inp, gradInp, objective);
    for (let row = 0; row < B * NH * T; row++) {
      const t = row % T;
      for (let t2 = t + 1; t2 < T; t2++) {
        expect(datt[row * T + t2], `datt[row ${row}, t2 ${t2}]`).toBe(0);
        expect(dpreatt[row * T + t2], `dpreatt[row ${row}, t2 ${t2}]`).toBe(0);
      }
    }
  });

  it('forward softmax is causal and normalised', () => {
    const { inp, out, preatt, att } = setup(5);

    attentionForward(out, preatt, att, inp, { B, T, C, NH });

    for (let row = 0; row < B * NH * T; row++) {
      const t = row % T;
      let sum = 0;
      for (let t2 = 0; t2 <= t; t2++) sum += att[row * T + t2];
      expect(Math.abs(sum - 1), `row ${row} sums to ${sum}`).toBeLessThan(1e-14);
      for (let t2 = t + 1; t2 < T; t2++) {
        expect(att[row * T + t2], `att[row ${row}, t2 ${t2}]`).toBe(0);
        expect(preatt[row * T + t2], `preatt[row ${row}, t2 ${t2}]`).toBe(0);
      }
    }
  });

  it('forward at t=0 copies the first value', () => {
    const { inp, out, preatt, att } = setup(6);

    attentionForward(out, preatt, att, inp, { B, T, C, NH });

    for (let b = 0; b < B; b++) {
      for (let i = 0; i < C; i++) {
        const value = inp[b * T * 3 * C + 2 * C + i];
        expect(out[b * T * C + i], `out[b ${b}, t 0, channel ${i}]`).toBeCloseTo(value, 14);
      }
    }
  });
});

describe('gelu', () => {
  it('backward matches finite differences', () => {
    const rng = new Rng(7);
    const inp = randomArray(rng, N * C, 2);
    const R = randomArray(rng, N * C);
    const out = new Float64Array(N * C);
    const objective = () => {
      geluForward(out, inp, { N: N * C });
      return dot(out, R);
    };

    const dinp = new Float64Array(N * C);
    const [gradInp] = accumulatedGradients(rng, [dinp], () => geluBackward(dinp, inp, R, { N: N * C }));

    checkGradient('inp', inp, gradInp, objective);
  });

  it('forward uses the tanh approximation', () => {
    const inp = Float64Array.from([0, 1, -1, 10]);
    const out = new Float64Array(4);

    geluForward(out, inp, { N: 4 });

    const expected = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    expect(out[0]).toBe(0);
    expect(out[1]).toBeCloseTo(expected(1), 15);
    expect(out[2]).toBeCloseTo(expected(-1), 15);
    expect(out[3]).toBeCloseTo(10, 12);
  });
});

describe('residual', () => {
  it('backward matches finite differences', () => {
    const rng = new Rng(8);
    const inp1 = randomArray(rng, N * C);
    const inp2 = randomArray(rng, N * C);
    const R = randomArray(rng, N * C);
    const out = new Float64Array(N * C);
    const objective = () => {
      residualForward(out, inp1, inp2, { N: N * C });
      return dot(out, R);
    };

    const dinp1 = new Float64Array(N * C);
    const dinp2 = new Float64Array(N * C);
    const [gradInp1, gradInp2] = accumulatedGradients(rng, [dinp1, dinp2],
      () => residualBackward(dinp1, dinp2, R, { N: N * C }));

    checkGradient('inp1', inp1, gradInp1, objective);
    checkGradient('inp2', inp2, gradInp2, objective);
  });
});

describe('crossentropy', () => {
  function forward(logits: Float64Array, targets: Int32Array, M: number) {
    const losses = new Float64Array(M);
    const entropies = new Float64Array(M);
    const probs = new Float64Array(M * V);
    crossentropyForward(losses, entropies, probs, logits, targets, { M, V });
    return { losses, entropies, probs };
  }

  for (const maskType of ['Float64Array', 'Uint32Array'] as const) {
    it(`backward matches finite differences with a ${maskType} mask`, () => {
      const rng = new Rng(9);
      const M = N;
      const logits = randomArray(rng, M * V, 2);
      const targets = randomTokens(rng, M, V);
      const bits = [1, 0, 1, 1, 0, 1];
      const mask = maskType === 'Float64Array' ? Float64Array.from(bits) : Uint32Array.from(bits);
      const k = 5; // the global kept count may exceed this slice's mask sum
      const objective = () => dot(forward(logits, targets, M).losses, Float64Array.from(bits)) / k;

      // dlogits starts with random values because the backward overwrites it.
      const dlogits = randomArray(rng, M * V);
      crossentropyBackward(dlogits, forward(logits, targets, M).probs, targets, mask, k, { M, V });

      checkGradient('logits', logits, dlogits, objective);
    });
  }

  it('forward loss and entropy match their definitions', () => {
    const rng = new Rng(10);
    const M = N;
    const logits = randomArray(rng, M * V, 3);
    const targets = randomTokens(rng, M, V);

    const { losses, entropies, probs } = forward(logits, targets, M);

    for (let j = 0; j < M; j++) {
      const row = probs.subarray(j * V, (j + 1) * V);
      const sum = row.reduce((a, p) => a + p, 0);
      const entropy = -row.reduce((a, p) => a + p * Math.log(p), 0);
      expect(Math.abs(sum - 1), `probs row ${j} sums to ${sum}`).toBeLessThan(1e-14);
      expect(losses[j], `losses[${j}]`).toBeCloseTo(-Math.log(row[targets[j]]), 12);
      expect(entropies[j], `entropies[${j}]`).toBeCloseTo(entropy, 12);
    }
  });

  it('forward is stable for large and confident logits', () => {
    const logits = new Float64Array(2 * V);
    logits[0] = 1000; // row 0: one certain token, the rest have p = 0 in float64
    logits.fill(-1000, 1, V);
    logits.fill(500, V, 2 * V); // row 1: uniform at a large offset
    const targets = Int32Array.from([0, 3]);

    const { losses, entropies } = forward(logits, targets, 2);

    expect(Object.is(losses[0], 0), `losses[0] = ${losses[0]} must be +0`).toBe(true);
    expect(Object.is(entropies[0], 0), `entropies[0] = ${entropies[0]} must be +0`).toBe(true);
    expect(losses[1]).toBeCloseTo(Math.log(V), 14);
    expect(entropies[1]).toBeCloseTo(Math.log(V), 14);
  });
});
