// Model-level checks of the GPU GPT-2: one whole training step (losses, selection,
// every parameter gradient, then AdamW) against the float64 reference, α = 0 ESLM equal
// to CLM bit for bit, reproducibility, loss at initialisation and overfitting.

import { describe, expect, test } from 'vitest';
import { Rng } from '../data/rng.ts';
import { readFloat32, readUint32 } from '../gpu/buffers.ts';
import { METRIC_FIELDS } from '../gpu/ops/metrics.ts';
import { encodeDispatches, KernelCache } from '../gpu/kernel.ts';
import { gpt2TrainStep, keptCount, type SelectionStrategy } from '../reference/index.ts';
import { expectClose, expectEqual, testDevice } from '../gpu/testing.ts';
import type { GPT2Config } from './config.ts';
import { Gpt2Gpu, type AdamwStep } from './gpt2.ts';
import { initParameters } from './init.ts';
import { parameterLayout } from './layout.ts';
import { QueueClock, TrainingRun } from '../train/trainer.ts';

// Sizes chosen off every tile and workgroup multiple: C=20 (NH=4, HS=5), V=37, T=7.
const CONFIG: GPT2Config = { nLayer: 2, nHead: 4, nEmbd: 20, blockSize: 9, vocabSize: 37 };
const DIMS = { B: 3, T: 7 };
const HYPER = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1.0 };

function randomBatch(seed: number, M: number, V: number) {
  const rng = new Rng(seed);
  const inputs = Int32Array.from({ length: M }, () => rng.int(V));
  const targets = Int32Array.from({ length: M }, () => rng.int(V));
  return { inputs, targets };
}

function strategyScore(strategy: SelectionStrategy) {
  return strategy === 'eslm-entropy' ? 'entropy' as const : 'loss' as const;
}

async function makeModel(strategy: SelectionStrategy, seed = 1, rowSkipping = true) {
  const { device } = await testDevice();
  const kernels = new KernelCache(device);
  const model = new Gpt2Gpu(kernels, {
    config: CONFIG, dims: DIMS, score: strategyScore(strategy), ringSlots: 4, label: `test.${strategy}`, rowSkipping,
  });
  model.uploadParameters(initParameters(CONFIG, seed));
  return model;
}

function encodeStep(model: Gpt2Gpu, batch: { inputs: Int32Array; targets: Int32Array }, k: number, adamw: AdamwStep): void {
  model.uploadBatch(batch.inputs, batch.targets);
  model.writeStepUniforms({ k, slot: (adamw.step - 1) % model.ringSlots, adamw });
  const encoder = model.device.createCommandEncoder({ label: 'test.step' });
  model.encodeZeroGradients(encoder);
  encodeDispatches(encoder, [...model.forward, ...model.selection, ...model.statistics, ...model.backward, ...model.optimizer], 'test.step');
  model.device.queue.submit([encoder.finish()]);
}

describe('GPT-2 training step', () => {
  test.each([
    { strategy: 'clm' as const, alpha: 0 },
    { strategy: 'eslm-loss' as const, alpha: 0.6 },
    { strategy: 'eslm-entropy' as const, alpha: 0.3 },
  ])('matches reference for $strategy alpha=$alpha', async ({ strategy, alpha }) => {
    const { device } = await testDevice();
    const model = await makeModel(strategy);
    const M = DIMS.B * DIMS.T;
    const batch = randomBatch(7, M, CONFIG.vocabSize);
    const k = strategy === 'clm' ? M : keptCount(alpha, M);

    device.pushErrorScope('validation');
    encodeStep(model, batch, k, { ...HYPER, step: 1 });
    const error = await device.popErrorScope();
    if (error) throw new Error(`WebGPU validation error: ${error.message}`);

    // Reference step from the same float32 initial parameters.
    const P = parameterLayout(CONFIG).total;
    const state = {
      params: Float64Array.from(initParameters(CONFIG, 1)),
      grads: new Float64Array(P), m: new Float64Array(P), v: new Float64Array(P),
    };
    const result = gpt2TrainStep(state, batch.inputs, batch.targets, CONFIG, DIMS, { strategy, alpha }, { ...HYPER, step: 1 });

    const losses = await readFloat32(device, model.acts.losses);
    expectClose('per-token losses', losses.subarray(0, M), result.losses, { atol: 1e-5, rtol: 1e-5 });
    expectEqual('selection mask', (await readUint32(device, model.mask)).subarray(0, M), result.mask);
    expect(result.keptCount).toBe(k);

    // Gradients: float32 sums over B·T positions and channels; atol is relative to the
    // largest gradient entries, which are about 1e-1 here.
    const grads = await readFloat32(device, model.grads);
    const layout = parameterLayout(CONFIG);
    for (const slot of layout.ordered) {
      const range = [slot.offset, slot.offset + slot.size] as const;
      expectClose(`gradient ${slot.spec.name}`, grads.subarray(...range), state.grads.subarray(...range), { atol: 2e-6, rtol: 1e-3 });
    }
    const norm = await readFloat32(device, model.normStats);
    expectClose('gradient norm', [norm[0]], [result.gradNorm], { atol: 0, rtol: 1e-4 });

    // Parameters after AdamW: the first Adam step moves each weight by about lr·sign(g),
    // so a gradient entry near zero can flip its step; atol covers the float32 rounding
    // of m/√v for entries away from zero.
    const params = await readFloat32(device, model.params);
    expectClose('parameters after AdamW', params, state.params, { atol: 2e-4, rtol: 1e-4 });
    model.destroy();
  });
});

/** Return the selection mask of a first step on the batch, read from a fresh model. */
async function expectedMask(batch: { inputs: Int32Array; targets: Int32Array }, k: number): Promise<Uint32Array> {
  const { device } = await testDevice();
  const model = await makeModel('eslm-loss');
  encodeStep(model, batch, k, { ...HYPER, step: 1 });
  const mask = (await readUint32(device, model.mask)).slice(0, DIMS.B * DIMS.T);
  model.destroy();
  return mask;
}

/** Σ over sequences of 1 + the last kept position (0 when a sequence keeps nothing). */
function activeRowCount(mask: Uint32Array, B: number, T: number): number {
  let total = 0;
  for (let b = 0; b < B; b++) {
    for (let t = T; t > 0; t--) {
      if (mask[b * T + t - 1]) {
        total += t;
        break;
      }
    }
  }
  return total;
}

describe('kept-row backward', () => {
  test.each([0.6, 0.9, 0])('equals the dense masked backward at alpha=%s', async (alpha) => {
    const { device } = await testDevice();
    const M = DIMS.B * DIMS.T;
    const k = keptCount(alpha, M);
    const batch = randomBatch(11, M, CONFIG.vocabSize);
    const results = [];
    for (const rowSkipping of [true, false]) {
      const model = await makeModel('eslm-loss', 1, rowSkipping);
      encodeStep(model, batch, k, { ...HYPER, step: 1 });
      const ring = await readUint32(device, model.ring);
      const activeRows = ring[METRIC_FIELDS.indexOf('activeRows')];
      const activePairs = ring[METRIC_FIELDS.indexOf('activePairs')];
      results.push({
        grads: await readFloat32(device, model.grads),
        flops: rowSkipping ? model.trainingStepFlops(k, { activeRows, activePairs }) : model.trainingStepFlops(k),
        denseFlops: model.trainingStepFlops(M), activeRows,
      });
      model.destroy();
    }
    const [kept, dense] = results;
    // Positions after each sequence's last kept token were skipped, when there were any.
    const mask = await expectedMask(batch, k);
    expect(kept.activeRows).toBe(activeRowCount(mask, DIMS.B, DIMS.T));
    if (alpha >= 0.9) expect(kept.activeRows).toBeLessThan(M);
    // Dropped rows only add exact zeros to the same sums in the same order, so the two agree bit for bit.
    expectEqual('parameter gradients', kept.grads, dense.grads);
    if (alpha > 0) expect(kept.flops).toBeLessThan(dense.flops);
    expect(kept.denseFlops).toBeGreaterThan(kept.flops - 1);
  });
});

describe('GPT-2 on the GPU', () => {
  async function trainSteps(strategy: SelectionStrategy, alpha: number, steps: number, seed = 1) {
    const { device } = await testDevice();
    const model = await makeModel(strategy, seed);
    const M = DIMS.B * DIMS.T;
    const k = strategy === 'clm' ? M : keptCount(alpha, M);
    const rings: Float32Array[] = [];
    for (let s = 0; s < steps; s++) {
      encodeStep(model, randomBatch(100 + s, M, CONFIG.vocabSize), k, { ...HYPER, step: s + 1 });
      rings.push(await readFloat32(device, model.ring));
    }
    const params = await readFloat32(device, model.params);
    model.destroy();
    return { params, rings };
  }

  test('eslm-loss at alpha 0 equals clm bit for bit', async () => {
    const clm = await trainSteps('clm', 0, 4);
    const eslm = await trainSteps('eslm-loss', 0, 4);
    expectEqual('parameters after 4 steps', eslm.params, clm.params);
    for (let s = 0; s < 4; s++) expectEqual(`metric ring after step ${s}`, eslm.rings[s], clm.rings[s]);
  });

  test('same seed gives identical parameters', async () => {
    const first = await trainSteps('eslm-loss', 0.5, 3);
    const second = await trainSteps('eslm-loss', 0.5, 3);
    expectEqual('parameters', first.params, second.params);
    const other = await trainSteps('eslm-loss', 0.5, 3, 2);
    expect(Array.from(other.params.subarray(0, 64))).not.toEqual(Array.from(first.params.subarray(0, 64)));
  });

  test('loss at initialisation is close to ln V', async () => {
    const { device } = await testDevice();
    const model = await makeModel('clm');
    const M = DIMS.B * DIMS.T;
    encodeStep(model, randomBatch(3, M, CONFIG.vocabSize), M, { ...HYPER, step: 1 });
    const losses = (await readFloat32(device, model.acts.losses)).subarray(0, M);
    const mean = losses.reduce((a, b) => a + b, 0) / M;
    expect(Math.abs(mean - Math.log(CONFIG.vocabSize))).toBeLessThan(0.1);
    model.destroy();
  });

  test('overfits one repeated batch', async () => {
    const { device } = await testDevice();
    const model = await makeModel('clm');
    const M = DIMS.B * DIMS.T;
    const batch = randomBatch(5, M, CONFIG.vocabSize);
    const meanLoss = async () => (await readFloat32(device, model.acts.losses)).subarray(0, M).reduce((a, b) => a + b, 0) / M;
    let first = 0;
    for (let s = 0; s < 80; s++) {
      encodeStep(model, batch, M, { ...HYPER, lr: 1e-2, gradClip: 0, step: s + 1 });
      if (s === 0) first = await meanLoss();
    }
    const last = await meanLoss();
    expect(first).toBeGreaterThan(3);
    expect(last).toBeLessThan(0.5);
    model.destroy();
  });
});

describe('masked gradient accumulation', () => {
  test('four micro-batches give the whole-batch gradient', async () => {
    const { device } = await testDevice();
    const kernels = new KernelCache(device);
    const dims = { B: 4, T: 7 };
    const M = dims.B * dims.T;
    const batch = randomBatch(13, M, CONFIG.vocabSize);
    const k = keptCount(0.6, M);
    const common = {
      spec: { strategy: 'eslm-loss' as const, alpha: 0.6 }, config: CONFIG, dims,
      optimizer: { ...HYPER, warmupSteps: 0, schedule: 'constant' as const, minLrRatio: 1 },
      totalSteps: 1, metricsEvery: 1, initialParameters: initParameters(CONFIG, 1), seed: 1, clock: new QueueClock(),
    };
    const whole = new TrainingRun(kernels, { ...common, name: 'whole' });
    const micro = new TrainingRun(kernels, { ...common, name: 'micro', microBatches: 4 });
    await whole.step(batch);
    await micro.step(batch);
    await whole.flush();
    await micro.flush();

    expect(micro.model.M).toBe(M / 4);
    expect(whole.history[0].keptTokens).toBe(k);
    expect(micro.history[0].keptTokens).toBe(k);
    expect(micro.history[0].trainLoss).toBeCloseTo(whole.history[0].trainLoss, 5);
    expect(micro.history[0].selectedLoss).toBeCloseTo(whole.history[0].selectedLoss, 5);
    // Partial sums over four micro-batches round differently from one sum over the batch.
    const wholeGrads = await readFloat32(device, whole.model.grads);
    const microGrads = await readFloat32(device, micro.model.grads);
    expectClose('accumulated gradients', microGrads, wholeGrads, { atol: 1e-6, rtol: 1e-4 });
    // The recomputed forward is executed work.
    expect(micro.history[0].executedFlops).toBeGreaterThan(whole.history[0].executedFlops);
    expect(micro.history[0].nominalFlops).toBe(whole.history[0].nominalFlops);
    whole.destroy();
    micro.destroy();
  });
});
