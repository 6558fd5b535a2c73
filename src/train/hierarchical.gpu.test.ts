// Hierarchical ESLM: the shallow pass scores sequences like the float64 reference of the
// same truncated model, the kept sequences reach the full model, and the run trains.

import { describe, expect, test } from 'vitest';
import { Rng } from '../data/rng.ts';
import { readBytes } from '../gpu/buffers.ts';
import { KernelCache } from '../gpu/kernel.ts';
import { testDevice } from '../gpu/testing.ts';
import type { GPT2Config } from '../model/config.ts';
import { Gpt2Gpu } from '../model/gpt2.ts';
import { initParameters } from '../model/init.ts';
import { dataRanges, parameterLayout } from '../model/layout.ts';
import { gpt2Forward } from '../reference/gpt2.ts';
import { keptCount } from '../reference/select.ts';
import { runExperiment } from './experiment.ts';
import { HierarchicalPlan } from './hierarchical.ts';
import { presetConfig } from './presets.ts';

const CONFIG: GPT2Config = { nLayer: 3, nHead: 2, nEmbd: 16, blockSize: 8, vocabSize: 29 };

/** Copy the first `layers` blocks of a flat parameter array into the layout of a model of that depth. */
function truncatedParameters(params: Float32Array, config: GPT2Config, layers: number): Float64Array {
  const full = parameterLayout(config);
  const shallowConfig = { ...config, nLayer: layers };
  const shallow = parameterLayout(shallowConfig);
  const out = new Float64Array(shallow.total);
  for (const slot of shallow.ordered) {
    const source = dataRanges(full.slots[slot.spec.name]);
    dataRanges(slot).forEach(([start, end], i) => out.set(params.subarray(source[i][0], source[i][0] + end - start), start));
  }
  return out;
}

describe('hierarchical ESLM', () => {
  test('keeps the sequences with the largest shallow-pass loss', async () => {
    const { device } = await testDevice();
    const kernels = new KernelCache(device);
    const B = 6, T = 7, kept = keptCount(0.5, B), exitLayers = 2;
    const rng = new Rng(4);
    const inputs = Int32Array.from({ length: B * T }, () => rng.int(CONFIG.vocabSize));
    const targets = Int32Array.from({ length: B * T }, () => rng.int(CONFIG.vocabSize));
    const params = initParameters(CONFIG, 9);

    const main = new Gpt2Gpu(kernels, { config: CONFIG, dims: { B: kept, T }, score: 'loss', ringSlots: 1, label: 'test.main' });
    main.uploadParameters(params);
    const plan = new HierarchicalPlan(kernels, main, B, kept, exitLayers);
    plan.uploadBatch(inputs, targets);
    const encoder = device.createCommandEncoder();
    plan.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const gathered = new Int32Array(await readBytes(device, { buffer: main.inputs, offset: 0, size: kept * T * 4 }));

    // Reference: the same first two blocks, final LayerNorm and head, in float64.
    const shallowConfig = { ...CONFIG, nLayer: exitLayers };
    const acts = gpt2Forward(truncatedParameters(params, CONFIG, exitLayers), inputs, targets, shallowConfig, { B, T });
    const means = Array.from({ length: B }, (_, b) => acts.losses.subarray(b * T, (b + 1) * T).reduce((a, x) => a + x, 0) / T);
    const order = means.map((m, b) => [m, b]).sort((x, y) => y[0] - x[0] || x[1] - y[1]).slice(0, kept).map(([, b]) => b).sort((x, y) => x - y);
    const expected = new Int32Array(kept * T);
    order.forEach((b, r) => expected.set(inputs.subarray(b * T, (b + 1) * T), r * T));
    expect(Array.from(gathered)).toEqual(Array.from(expected));
    plan.destroy();
    main.destroy();
  });

  test('trains on the kept sequences and counts the shallow pass', async () => {
    const config = presetConfig('tiny');
    config.steps = 10;
    config.evalEvery = 10;
    config.evalWindowsPerGenre = 2;
    config.metricsEvery = 5;
    const report = await runExperiment(config, [
      { strategy: 'clm', alpha: 0 },
      { strategy: 'hierarchical', alpha: 0.5, sequenceAlpha: 0.5, exitLayers: 1 },
    ]);
    const [clm, hier] = report.runs;
    const M = config.batchSize * config.seqLen;
    const keptRows = keptCount(0.5, config.batchSize);
    for (const record of hier.history) {
      expect(record.totalTokens).toBe(M);
      expect(record.keptTokens).toBe(keptCount(0.5, keptRows * config.seqLen));
    }
    expect(hier.history[0].executedFlops).toBeLessThan(clm.history[0].executedFlops);
    expect(hier.history[0].nominalFlops).toBeLessThan(clm.history[0].nominalFlops);
    // Both runs are evaluated on the same validation tokens, packed into batches of their own size.
    expect(hier.evals[0].valLoss).toBeCloseTo(clm.evals[0].valLoss, 5);
    expect(hier.evals[1].valPerplexity).toBeLessThan(hier.evals[0].valPerplexity);
  });
});
