// Checkpoints of a GPU model: save after some training steps, load into a fresh model,
// and check that training continues on exactly the same trajectory.

import { describe, expect, test } from 'vitest';
import { Rng } from '../data/rng.ts';
import { CharTokenizer } from '../data/tokenizer.ts';
import { readFloat32 } from '../gpu/buffers.ts';
import { encodeDispatches, KernelCache } from '../gpu/kernel.ts';
import { expectEqual, testDevice } from '../gpu/testing.ts';
import type { GPT2Config } from '../model/config.ts';
import { Gpt2Gpu, type AdamwStep } from '../model/gpt2.ts';
import { initParameters } from '../model/init.ts';
import { keptCount } from '../reference/index.ts';
import { loadCheckpoint, readModelCheckpoint, saveCheckpoint, writeModelCheckpoint } from './checkpoint.ts';

// 35 distinct characters plus end-of-text and unknown: vocabSize 37, off every tile size.
const TOKENIZER = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz012345678');
const CONFIG: GPT2Config = { nLayer: 2, nHead: 4, nEmbd: 20, blockSize: 9, vocabSize: TOKENIZER.vocabSize };
const DIMS = { B: 3, T: 7 };
const M = DIMS.B * DIMS.T;
const HYPER = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1.0 };
const ALPHA = 0.5;

function randomBatch(seed: number) {
  const rng = new Rng(seed);
  const inputs = Int32Array.from({ length: M }, () => rng.int(CONFIG.vocabSize));
  const targets = Int32Array.from({ length: M }, () => rng.int(CONFIG.vocabSize));
  return { inputs, targets };
}

async function makeModel(label: string): Promise<Gpt2Gpu> {
  const { device } = await testDevice();
  return new Gpt2Gpu(new KernelCache(device), { config: CONFIG, dims: DIMS, score: 'loss', ringSlots: 4, label });
}

/** Encodes and submits one ESLM-loss training step. The step argument is the 1-based AdamW step. */
async function trainStep(model: Gpt2Gpu, step: number): Promise<void> {
  const adamw: AdamwStep = { ...HYPER, step };
  const batch = randomBatch(100 + step);
  model.device.pushErrorScope('validation');
  model.uploadBatch(batch.inputs, batch.targets);
  model.writeStepUniforms({ k: keptCount(ALPHA, M), slot: (step - 1) % model.ringSlots, adamw });
  const encoder = model.device.createCommandEncoder({ label: 'test.step' });
  model.encodeZeroGradients(encoder);
  encodeDispatches(encoder, [...model.forward, ...model.selection, ...model.statistics, ...model.backward, ...model.optimizer], 'test.step');
  model.device.queue.submit([encoder.finish()]);
  const error = await model.device.popErrorScope();
  if (error) throw new Error(`WebGPU validation error at step ${step}: ${error.message}`);
}

async function readState(model: Gpt2Gpu) {
  return {
    params: await readFloat32(model.device, model.params),
    m: await readFloat32(model.device, model.adamM),
    v: await readFloat32(model.device, model.adamV),
  };
}

function expectSameState(label: string, a: Awaited<ReturnType<typeof readState>>, b: Awaited<ReturnType<typeof readState>>): void {
  expectEqual(`${label}: parameters`, a.params, b.params);
  expectEqual(`${label}: AdamW m`, a.m, b.m);
  expectEqual(`${label}: AdamW v`, a.v, b.v);
}

describe('GPU model checkpoints', () => {
  test('resume continues the exact trajectory', async () => {
    const original = await makeModel('test.original');
    original.uploadParameters(initParameters(CONFIG, 1));
    for (let step = 1; step <= 3; step++) await trainStep(original, step);

    const saved = await readModelCheckpoint(original, TOKENIZER, { strategy: 'eslm-loss', alpha: ALPHA, completedSteps: 3 }, 3);
    const bytes = saveCheckpoint(saved);
    const loaded = loadCheckpoint(bytes);
    expect(loaded.adam?.step).toBe(3);
    expect(loaded.meta.completedSteps).toBe(3);

    const resumed = await makeModel('test.resumed');
    writeModelCheckpoint(resumed, loaded);
    const afterSave = await readState(original);
    expectSameState('after loading', await readState(resumed), afterSave);

    for (let step = 4; step <= 5; step++) {
      await trainStep(original, step);
      await trainStep(resumed, step);
    }
    const finalOriginal = await readState(original);
    expectSameState('after two more steps', await readState(resumed), finalOriginal);

    // The two extra steps changed the parameters, so the equality above is not vacuous.
    expect(Array.from(finalOriginal.params.subarray(0, 64))).not.toEqual(Array.from(afterSave.params.subarray(0, 64)));
    original.destroy();
    resumed.destroy();
  });

  test('parameters-only checkpoint zeroes moments', async () => {
    const source = await makeModel('test.source');
    source.uploadParameters(initParameters(CONFIG, 2));
    await trainStep(source, 1);
    const frozen = loadCheckpoint(saveCheckpoint(await readModelCheckpoint(source, TOKENIZER, { completedSteps: 1 })));
    expect(frozen.adam).toBeUndefined();

    const target = await makeModel('test.target');
    await trainStep(target, 1);
    writeModelCheckpoint(target, frozen);
    const state = await readState(target);
    expectEqual('parameters', state.params, (await readState(source)).params);
    expect(state.m.every((x) => x === 0)).toBe(true);
    expect(state.v.every((x) => x === 0)).toBe(true);
    source.destroy();
    target.destroy();
  });

  test('write rejects a different config', async () => {
    const model = await makeModel('test.mismatch');
    const checkpoint = await readModelCheckpoint(model, TOKENIZER, {});
    const other = { ...checkpoint, config: { ...CONFIG, nLayer: 3 } };
    expect(() => writeModelCheckpoint(model, other)).toThrow('checkpoint config does not match the model "test.mismatch": nLayer 3 (model 2)');
    model.destroy();
  });
});
