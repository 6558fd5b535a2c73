// One float64 GPT-2 training step with token selection: forward, select, masked
// backward, global-norm clipping and AdamW.

import type { GPT2Config } from '../model/config.ts';
import { dataRanges, parameterLayout } from '../model/layout.ts';
import { type Gpt2BatchSizes, gpt2Backward, gpt2Forward } from './gpt2.ts';
import { adamwUpdate, clipScale, gradNorm } from './optim.ts';
import { keptCount as keptCountFor, selectTopK } from './select.ts';
import { checkLength } from './shapes.ts';

/**
 * 'clm' keeps every token. 'eslm-loss' keeps the k tokens with the largest loss and
 * 'eslm-entropy' those with the largest entropy, with k = keptCount(alpha, M).
 */
export type SelectionStrategy = 'clm' | 'eslm-loss' | 'eslm-entropy';

export interface SelectionOptions {
  strategy: SelectionStrategy;
  /** Confidence level α in [0, 1); ignored by 'clm'. */
  alpha: number;
}

export interface Gpt2TrainOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay, applied only to tensors whose layout entry has decay set. */
  weightDecay: number;
  /** Maximum global gradient norm. A value of 0 or less disables clipping. */
  gradClip: number;
  /** 1-based AdamW step. */
  step: number;
}

/** Flat buffers of one model, all laid out by parameterLayout(config). */
export interface Gpt2TrainState {
  params: Float64Array; // (P)
  grads: Float64Array; // (P)
  m: Float64Array; // (P) AdamW first moment
  v: Float64Array; // (P) AdamW second moment
}

export interface Gpt2TrainStepResult {
  /** Mean loss over all M tokens, before the update. */
  meanLoss: number;
  /** The training objective (1/k)·Σ mask·loss, before the update. */
  keptLoss: number;
  keptCount: number;
  /** VaR, the smallest kept score as a float32 value; null for 'clm'. */
  threshold: number | null;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  losses: Float64Array; // (M)
  mask: Uint32Array; // (M)
}

/**
 * Runs one training step in place on state: forward on all tokens, selection, zeroing
 * and masked backward of the gradients, global-norm clipping, then AdamW per tensor.
 */
export function gpt2TrainStep(
  state: Gpt2TrainState,
  inputs: Int32Array, // (B,T)
  targets: Int32Array, // (B,T)
  config: GPT2Config,
  { B, T }: Gpt2BatchSizes,
  { strategy, alpha }: SelectionOptions,
  options: Gpt2TrainOptions,
): Gpt2TrainStepResult {
  const layout = parameterLayout(config);
  for (const [name, buffer] of Object.entries(state)) checkLength(name, buffer, layout.total, '(P)');
  const M = B * T;
  const acts = gpt2Forward(state.params, inputs, targets, config, { B, T });

  // Selection.
  const mask = new Uint32Array(M);
  let k = M;
  let threshold: number | null = null;
  if (strategy === 'clm') {
    mask.fill(1);
  } else {
    k = keptCountFor(alpha, M);
    const scores = strategy === 'eslm-loss' ? acts.losses : acts.entropies;
    threshold = selectTopK(mask, new Uint32Array(k), scores, k).threshold;
  }

  let keptSum = 0;
  for (let j = 0; j < M; j++) keptSum += mask[j] * acts.losses[j];

  // Zero the gradients, then backward from the masked cross-entropy.
  state.grads.fill(0);
  gpt2Backward(state.grads, state.params, acts, inputs, mask, k, config, { B, T });

  // Clip by the global norm, then AdamW tensor by tensor (padding is left untouched).
  const norm = gradNorm(state.grads);
  const gradScale = clipScale(norm, options.gradClip);
  for (const slot of layout.ordered) {
    const adamwOptions = {
      lr: options.lr,
      beta1: options.beta1,
      beta2: options.beta2,
      eps: options.eps,
      weightDecay: slot.spec.decay ? options.weightDecay : 0,
      step: options.step,
      gradScale,
    };
    for (const [start, end] of dataRanges(slot)) {
      const range = (buffer: Float64Array) => buffer.subarray(start, end);
      adamwUpdate(range(state.params), range(state.grads), range(state.m), range(state.v), adamwOptions);
    }
  }

  return {
    meanLoss: acts.meanLoss,
    keptLoss: keptSum / k,
    keptCount: k,
    threshold,
    gradNorm: norm,
    losses: acts.losses,
    mask,
  };
}
