// Text generation from a training run's current parameters: one forward pass per new
// token, reading back only the logits row of the last position. Used on demand,
// between training steps.

import { Rng } from '../data/rng.ts';
import { encodeDispatches } from '../gpu/kernel.ts';
import type { Gpt2Gpu } from '../model/gpt2.ts';

export interface SampleOptions {
  maxTokens: number;
  /** Softmax temperature; must be > 0. */
  temperature: number;
  /** Sample among the topK most likely tokens; 0 means the whole vocabulary. */
  topK: number;
  seed: number;
}

/** Pick a token id from logits with temperature and top-k, using rng. */
export function sampleFromLogits(logits: Float32Array, temperature: number, topK: number, rng: Rng): number {
  if (!(temperature > 0)) throw new Error(`temperature must be > 0, got ${temperature}`);
  const ids = Array.from(logits.keys());
  if (topK > 0 && topK < ids.length) {
    ids.sort((a, b) => logits[b] - logits[a] || a - b);
    ids.length = topK;
  }
  let max = -Infinity;
  for (const id of ids) max = Math.max(max, logits[id]);
  const weights = ids.map((id) => Math.exp((logits[id] - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.uniform() * total;
  for (let i = 0; i < ids.length; i++) {
    u -= weights[i];
    if (u <= 0) return ids[i];
  }
  return ids[ids.length - 1];
}

/** Continue `context` (token ids) by up to maxTokens sampled tokens; returns only the new ids. */
export async function generateTokens(model: Gpt2Gpu, context: number[], options: SampleOptions): Promise<number[]> {
  const { T } = model.dims;
  const V = model.config.vocabSize;
  if (context.length === 0) throw new Error('generation needs at least one context token');
  if (!Number.isInteger(options.maxTokens) || options.maxTokens < 1) throw new Error(`maxTokens must be a positive integer, got ${options.maxTokens}`);
  const rng = new Rng(options.seed);
  const tokens = [...context];
  const generated: number[] = [];
  const device = model.device;
  const rowBytes = V * 4;
  const inputs = new Int32Array(model.M);
  const targets = new Int32Array(model.M);

  for (let i = 0; i < options.maxTokens; i++) {
    // Row 0 contains the last T tokens. Later positions and rows are zeros, and causal
    // attention keeps them from influencing the positions that are read.
    const window = tokens.slice(-T);
    inputs.fill(0);
    inputs.set(window, 0);
    model.uploadBatch(inputs, targets);
    const staging = device.createBuffer({ label: `${model.label}.sampleLogits`, size: rowBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder({ label: `${model.label}.sample` });
    encodeDispatches(encoder, model.forward, `${model.label}.sampleForward`);
    encoder.copyBufferToBuffer(model.acts.logits, (window.length - 1) * rowBytes, staging, 0, rowBytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const logits = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();

    const next = sampleFromLogits(logits, options.temperature, options.topK, rng);
    tokens.push(next);
    generated.push(next);
  }
  return generated;
}
