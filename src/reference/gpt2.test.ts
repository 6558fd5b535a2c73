import { describe, expect, it } from 'vitest';
import { randomTokens, Rng } from '../data/rng.ts';
import type { GPT2Config } from '../model/config.ts';
import { initParameters } from '../model/init.ts';
import { dataRanges, parameterLayout } from '../model/layout.ts';
import { type Gpt2TrainOptions, gpt2Backward, gpt2Forward, gpt2TrainStep } from './index.ts';
import { checkGradient } from './gradientCheck.ts';

const TINY: GPT2Config = { nLayer: 2, nHead: 2, nEmbd: 8, blockSize: 6, vocabSize: 11 };
const B = 2;
const T = 4;
const M = B * T;

const TRAIN_OPTIONS: Gpt2TrainOptions = {
  lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1, step: 1,
};

/** GPT-2 initialisation plus N(0, 0.1²) noise on every tensor, so no gradient path is trivially zero. */
function noisyParameters(config: GPT2Config, seed: number): Float64Array {
  const params = Float64Array.from(initParameters(config, seed));
  const rng = new Rng(seed + 1000);
  for (const slot of parameterLayout(config).ordered) {
    for (const [start, end] of dataRanges(slot)) {
      for (let i = start; i < end; i++) params[i] += rng.normal() * 0.1;
    }
  }
  return params;
}

function batch(seed: number, config: GPT2Config, b: number, t: number) {
  const rng = new Rng(seed);
  return { inputs: randomTokens(rng, b * t, config.vocabSize), targets: randomTokens(rng, b * t, config.vocabSize) };
}

describe('gpt2Backward', () => {
  it('matches finite differences per tensor', () => {
    const params = noisyParameters(TINY, 21);
    const { inputs, targets } = batch(22, TINY, B, T);
    const mask = Float64Array.from([1, 0, 1, 1, 0, 0, 1, 1]);
    const k = 6; // deliberately not the mask sum: k is the global kept count
    const objective = () => {
      const { losses } = gpt2Forward(params, inputs, targets, TINY, { B, T });
      let sum = 0;
      for (let j = 0; j < M; j++) sum += mask[j] * losses[j];
      return sum / k;
    };

    const layout = parameterLayout(TINY);
    const grads = new Float64Array(layout.total);
    const acts = gpt2Forward(params, inputs, targets, TINY, { B, T });
    gpt2Backward(grads, params, acts, inputs, mask, k, TINY, { B, T });

    // Sample elements of each layer slice, always including its first and last element.
    const rng = new Rng(23);
    for (const slot of layout.ordered) {
      const indices: number[] = [];
      for (const [start, end] of dataRanges(slot)) {
        indices.push(start, end - 1);
        for (let s = 0; s < 4; s++) indices.push(start + rng.int(end - start));
      }
      checkGradient(slot.spec.name, params, grads, objective, { indices });
    }
  });

  it('wte receives gradient from the LM head for unseen tokens', () => {
    // Token 10 appears in neither inputs nor targets, so only the tied LM head reaches it.
    const params = noisyParameters(TINY, 24);
    const inputs = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const targets = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const layout = parameterLayout(TINY);
    const grads = new Float64Array(layout.total);

    const acts = gpt2Forward(params, inputs, targets, TINY, { B, T });
    gpt2Backward(grads, params, acts, inputs, new Float64Array(M).fill(1), M, TINY, { B, T });

    const row = layout.slots.wte.offset + 10 * TINY.nEmbd;
    const norm = Math.hypot(...grads.subarray(row, row + TINY.nEmbd));
    expect(norm, 'norm of dwte row 10').toBeGreaterThan(0);
  });

  it('sums micro-batch gradients to the one-piece gradient', () => {
    const params = noisyParameters(TINY, 25);
    const { inputs, targets } = batch(26, TINY, B, T);
    const mask = Uint32Array.from([0, 1, 1, 0, 1, 1, 0, 1]);
    const k = 5;
    const layout = parameterLayout(TINY);

    const whole = new Float64Array(layout.total);
    gpt2Backward(whole, params, gpt2Forward(params, inputs, targets, TINY, { B, T }), inputs, mask, k, TINY, { B, T });

    const summed = new Float64Array(layout.total);
    for (let b = 0; b < B; b++) {
      const rows = (array: Int32Array | Uint32Array) => array.subarray(b * T, (b + 1) * T);
      const microInputs = rows(inputs) as Int32Array;
      const acts = gpt2Forward(params, microInputs, rows(targets) as Int32Array, TINY, { B: 1, T });
      gpt2Backward(summed, params, acts, microInputs, rows(mask) as Uint32Array, k, TINY, { B: 1, T });
    }

    for (let i = 0; i < layout.total; i++) {
      const error = Math.abs(whole[i] - summed[i]);
      expect(error <= 1e-14, `grads[${i}]: one piece ${whole[i]}, micro-batches ${summed[i]}, error ${error} > 1e-14`)
        .toBe(true);
    }
  });
});

describe('gpt2Forward', () => {
  it('gives loss near ln V at initialisation', () => {
    const config: GPT2Config = { nLayer: 2, nHead: 4, nEmbd: 32, blockSize: 16, vocabSize: 65 };
    const params = Float64Array.from(initParameters(config, 1));
    const { inputs, targets } = batch(2, config, 4, 16);

    const { meanLoss } = gpt2Forward(params, inputs, targets, config, { B: 4, T: 16 });

    const expected = Math.log(65);
    expect(Math.abs(meanLoss - expected), `mean loss ${meanLoss}, ln V ${expected}, tolerance 0.1`).toBeLessThan(0.1);
  });

  it('rejects T beyond blockSize and out-of-range tokens', () => {
    const params = new Float64Array(parameterLayout(TINY).total);
    const tokens = new Int32Array(2 * 7);
    expect(() => gpt2Forward(params, tokens, tokens, TINY, { B: 2, T: 7 })).toThrow(/exceeds the model's blockSize 6/);
    const bad = new Int32Array(M).fill(11);
    expect(() => gpt2Forward(params, bad, new Int32Array(M), TINY, { B, T })).toThrow(/inputs\[0\] = 11/);
  });
});

describe('gpt2TrainStep', () => {
  function state(seed: number) {
    const params = noisyParameters(TINY, seed);
    const size = params.length;
    return { params, grads: new Float64Array(size), m: new Float64Array(size), v: new Float64Array(size) };
  }

  it('at alpha 0 matches CLM bit for bit', () => {
    const { inputs, targets } = batch(31, TINY, B, T);
    const clm = state(30);
    const eslm = state(30);

    for (let step = 1; step <= 3; step++) {
      const options = { ...TRAIN_OPTIONS, step };
      gpt2TrainStep(clm, inputs, targets, TINY, { B, T }, { strategy: 'clm', alpha: 0 }, options);
      const result = gpt2TrainStep(eslm, inputs, targets, TINY, { B, T }, { strategy: 'eslm-loss', alpha: 0 }, options);
      expect(result.keptCount).toBe(M);
    }

    for (let i = 0; i < clm.params.length; i++) {
      expect(eslm.params[i], `params[${i}]`).toBe(clm.params[i]);
    }
  });

  for (const strategy of ['eslm-loss', 'eslm-entropy'] as const) {
    it(`${strategy} keeps the k highest-scoring tokens`, () => {
      const { inputs, targets } = batch(33, TINY, B, T);
      const train = state(32);
      const scores = strategy === 'eslm-loss'
        ? gpt2Forward(train.params, inputs, targets, TINY, { B, T }).losses
        : gpt2Forward(train.params, inputs, targets, TINY, { B, T }).entropies;

      const result = gpt2TrainStep(train, inputs, targets, TINY, { B, T }, { strategy, alpha: 0.7 }, TRAIN_OPTIONS);

      // k = ceil(0.3·8) = 3.
      expect(result.keptCount).toBe(3);
      expect(result.mask.reduce((a, m) => a + m, 0)).toBe(3);
      let smallestKept = Infinity;
      let largestDropped = -Infinity;
      for (let j = 0; j < M; j++) {
        const score = Math.fround(scores[j]);
        if (result.mask[j] === 1) smallestKept = Math.min(smallestKept, score);
        else largestDropped = Math.max(largestDropped, score);
      }
      expect(result.threshold).toBe(smallestKept);
      expect(largestDropped, `largest dropped score ${largestDropped}, VaR ${smallestKept}`)
        .toBeLessThanOrEqual(smallestKept);
    });
  }

  it('reports the kept loss and the pre-clip norm', () => {
    const { inputs, targets } = batch(35, TINY, B, T);
    const train = state(34);

    const result = gpt2TrainStep(train, inputs, targets, TINY, { B, T }, { strategy: 'eslm-loss', alpha: 0.5 },
      TRAIN_OPTIONS);

    let keptSum = 0;
    for (let j = 0; j < M; j++) keptSum += result.mask[j] * result.losses[j];
    expect(result.keptLoss).toBeCloseTo(keptSum / 4, 14);
    expect(result.keptLoss).toBeGreaterThanOrEqual(result.meanLoss);
    expect(result.gradNorm).toBeGreaterThan(0);
    expect(result.threshold).not.toBeNull();
  });

  it('lowers the loss on a repeated batch', () => {
    const { inputs, targets } = batch(37, TINY, B, T);
    const train = state(36);

    const first = gpt2TrainStep(train, inputs, targets, TINY, { B, T }, { strategy: 'clm', alpha: 0 }, TRAIN_OPTIONS);
    let last = first;
    for (let step = 2; step <= 20; step++) {
      last = gpt2TrainStep(train, inputs, targets, TINY, { B, T }, { strategy: 'clm', alpha: 0 },
        { ...TRAIN_OPTIONS, step });
    }

    expect(last.meanLoss, `loss at step 20 ${last.meanLoss}, at step 1 ${first.meanLoss}`)
      .toBeLessThan(first.meanLoss - 0.5);
  });

  it('decays only tensors whose layout entry sets decay', () => {
    const { inputs, targets } = batch(41, TINY, B, T);
    const decayed = state(40);
    const undecayed = state(40);
    const layout = parameterLayout(TINY);

    const selection = { strategy: 'clm', alpha: 0 } as const;
    gpt2TrainStep(decayed, inputs, targets, TINY, { B, T }, selection, { ...TRAIN_OPTIONS, weightDecay: 0.5 });
    gpt2TrainStep(undecayed, inputs, targets, TINY, { B, T }, selection, { ...TRAIN_OPTIONS, weightDecay: 0 });

    for (const slot of layout.ordered) {
      let changed = 0;
      for (const [start, end] of dataRanges(slot)) {
        for (let i = start; i < end; i++) if (decayed.params[i] !== undecayed.params[i]) changed++;
      }
      const expected = slot.spec.decay ? slot.count : 0;
      expect(changed, `${slot.spec.name}: ${changed} of ${slot.count} elements changed by weight decay`)
        .toBe(expected);
    }
  });

  it('leaves padding between tensors untouched', () => {
    const { inputs, targets } = batch(39, TINY, B, T);
    const train = state(38);
    const layout = parameterLayout(TINY);

    gpt2TrainStep(train, inputs, targets, TINY, { B, T }, { strategy: 'clm', alpha: 0 }, TRAIN_OPTIONS);

    const isTensorElement = new Uint8Array(layout.total);
    for (const slot of layout.ordered) {
      for (const [start, end] of dataRanges(slot)) isTensorElement.fill(1, start, end);
    }
    for (let i = 0; i < layout.total; i++) {
      if (isTensorElement[i] === 0) expect(train.params[i], `padding params[${i}]`).toBe(0);
    }
  });
});
