// Validation on fixed per-genre windows: forward passes only, all batches in one
// submit, per-token losses copied to one staging buffer and read back once.

import { uploadStorage } from '../gpu/buffers.ts';
import { encodeDispatches } from '../gpu/kernel.ts';
import type { EvalBatch } from '../data/batches.ts';
import type { Gpt2Gpu } from '../model/gpt2.ts';
import type { EvalRecord } from './types.ts';

/** Evaluation batches uploaded once per device and shared by every run. */
export class EvalSet {
  readonly inputs: GPUBuffer;
  readonly targets: GPUBuffer;
  readonly M: number;

  constructor(
    readonly device: GPUDevice,
    readonly batches: EvalBatch[],
    dims: { B: number; T: number },
  ) {
    if (batches.length === 0) throw new Error('no evaluation batches: the validation split is empty');
    this.M = dims.B * dims.T;
    const inputs = new Int32Array(batches.length * this.M);
    const targets = new Int32Array(batches.length * this.M);
    batches.forEach((batch, i) => {
      inputs.set(batch.inputs, i * this.M);
      targets.set(batch.targets, i * this.M);
    });
    this.inputs = uploadStorage(device, 'eval.inputs', inputs);
    this.targets = uploadStorage(device, 'eval.targets', targets);
  }

  destroy(): void {
    this.inputs.destroy();
    this.targets.destroy();
  }
}

/** Mean loss per genre over the valid rows of every batch, then perplexity = exp(mean loss). */
export function summarizeEvaluation(step: number, batches: EvalBatch[], losses: Float32Array, T: number): EvalRecord {
  const sums = new Map<string, { loss: number; tokens: number }>();
  let totalLoss = 0;
  let totalTokens = 0;
  batches.forEach((batch, i) => {
    batch.genres.forEach((genre, row) => {
      if (!batch.rowValid[row]) return;
      let rowLoss = 0;
      const base = (i * batch.genres.length + row) * T;
      for (let t = 0; t < T; t++) rowLoss += losses[base + t];
      const entry = sums.get(genre) ?? { loss: 0, tokens: 0 };
      entry.loss += rowLoss;
      entry.tokens += T;
      sums.set(genre, entry);
      totalLoss += rowLoss;
      totalTokens += T;
    });
  });

  const perGenrePerplexity: Record<string, number> = {};
  let worstGenre = '';
  let worstGenrePerplexity = -Infinity;
  for (const genre of [...sums.keys()].sort()) {
    const { loss, tokens } = sums.get(genre)!;
    const perplexity = Math.exp(loss / tokens);
    perGenrePerplexity[genre] = perplexity;
    if (perplexity > worstGenrePerplexity) {
      worstGenre = genre;
      worstGenrePerplexity = perplexity;
    }
  }
  const valLoss = totalLoss / totalTokens;
  return { step, valLoss, valPerplexity: Math.exp(valLoss), perGenrePerplexity, worstGenre, worstGenrePerplexity };
}

/** Run the model's forward pass on every evaluation batch and return the per-token losses. */
export async function evaluationLosses(model: Gpt2Gpu, evalSet: EvalSet): Promise<Float32Array> {
  if (evalSet.M !== model.M) throw new Error(`evaluation batches hold ${evalSet.M} tokens, the model's batch ${model.M}`);
  const device = model.device;
  const bytes = evalSet.M * 4;
  const staging = device.createBuffer({
    label: `${model.label}.evalLosses`,
    size: evalSet.batches.length * bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder({ label: `${model.label}.evaluate` });
  for (let i = 0; i < evalSet.batches.length; i++) {
    encoder.copyBufferToBuffer(evalSet.inputs, i * bytes, model.inputs, 0, bytes);
    encoder.copyBufferToBuffer(evalSet.targets, i * bytes, model.targets, 0, bytes);
    encodeDispatches(encoder, model.forward, `${model.label}.evalForward`);
    encoder.copyBufferToBuffer(model.acts.losses, 0, staging, i * bytes, bytes);
  }
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const losses = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return losses;
}
