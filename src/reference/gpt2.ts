// A whole GPT-2 in float64 over the flat parameter layout of src/model/layout.ts:
// forward and masked backward, built only from the reference ops.
// The LM head is tied to wte (logits = lnf·wteᵀ, no bias).

import { type GPT2Config, validateConfig } from '../model/config.ts';
import { type ParameterLayout, type ParameterName, layerOffset, parameterLayout } from '../model/layout.ts';
import { attentionBackward, attentionForward } from './attention.ts';
import { crossentropyBackward, crossentropyForward } from './crossentropy.ts';
import {
  encoderBackward, encoderForward, geluBackward, geluForward, layernormBackward,
  layernormForward, matmulBackward, matmulForward, residualBackward, residualForward,
} from './ops.ts';
import { checkLength, checkSizes, checkTokenIds } from './shapes.ts';

export interface Gpt2BatchSizes { B: number; T: number }

/** Every activation of one forward pass that the backward reads, plus the outputs. */
export interface Gpt2ReferenceActivations {
  B: number;
  T: number;
  targets: Int32Array; // (B,T) copy of the forward's targets
  encoded: Float64Array; // (B,T,C)
  ln1: Float64Array; // (L,B,T,C)
  ln1Mean: Float64Array; // (L,B,T)
  ln1Rstd: Float64Array; // (L,B,T)
  qkv: Float64Array; // (L,B,T,3C)
  atty: Float64Array; // (L,B,T,C)
  preatt: Float64Array; // (L,B,NH,T,T)
  att: Float64Array; // (L,B,NH,T,T)
  attproj: Float64Array; // (L,B,T,C)
  residual2: Float64Array; // (L,B,T,C)
  ln2: Float64Array; // (L,B,T,C)
  ln2Mean: Float64Array; // (L,B,T)
  ln2Rstd: Float64Array; // (L,B,T)
  fch: Float64Array; // (L,B,T,4C)
  fchGelu: Float64Array; // (L,B,T,4C)
  fcproj: Float64Array; // (L,B,T,C)
  residual3: Float64Array; // (L,B,T,C)
  lnf: Float64Array; // (B,T,C)
  lnfMean: Float64Array; // (B,T)
  lnfRstd: Float64Array; // (B,T)
  logits: Float64Array; // (B,T,V)
  probs: Float64Array; // (B,T,V)
  losses: Float64Array; // (M)
  entropies: Float64Array; // (M)
  /** Mean loss over all M tokens, whatever the selection. */
  meanLoss: number;
}

/** Returns views of every parameter tensor in a flat buffer, per-layer tensors sliced at `layer`. */
function tensorViews(flat: Float64Array, layout: ParameterLayout, layer: number): Record<ParameterName, Float64Array> {
  const views = {} as Record<ParameterName, Float64Array>;
  for (const slot of layout.ordered) {
    const start = slot.spec.perLayer ? layerOffset(slot, layer) : slot.offset;
    views[slot.spec.name] = flat.subarray(start, start + slot.layerSize);
  }
  return views;
}

/** Returns the slice of a buffer stacked over L that belongs to one layer. */
function layerSlice(buffer: Float64Array, layer: number, size: number): Float64Array {
  return buffer.subarray(layer * size, (layer + 1) * size);
}

function checkBatch(config: GPT2Config, inputs: Int32Array, { B, T }: Gpt2BatchSizes): void {
  validateConfig(config);
  checkSizes('gpt2', { B, T });
  if (T > config.blockSize) throw new Error(`invalid T ${T}: exceeds the model's blockSize ${config.blockSize}`);
  checkLength('inputs', inputs, B * T, '(B,T)');
  checkTokenIds('inputs', inputs, config.vocabSize);
}

function allocateActivations(config: GPT2Config, targets: Int32Array, B: number, T: number): Gpt2ReferenceActivations {
  const { nLayer: L, nHead: NH, nEmbd: C, vocabSize: V } = config;
  const M = B * T;
  const buffer = (size: number) => new Float64Array(size);
  return {
    B, T, targets: Int32Array.from(targets),
    encoded: buffer(M * C),
    ln1: buffer(L * M * C), ln1Mean: buffer(L * M), ln1Rstd: buffer(L * M),
    qkv: buffer(L * M * 3 * C), atty: buffer(L * M * C),
    preatt: buffer(L * B * NH * T * T), att: buffer(L * B * NH * T * T),
    attproj: buffer(L * M * C), residual2: buffer(L * M * C),
    ln2: buffer(L * M * C), ln2Mean: buffer(L * M), ln2Rstd: buffer(L * M),
    fch: buffer(L * M * 4 * C), fchGelu: buffer(L * M * 4 * C),
    fcproj: buffer(L * M * C), residual3: buffer(L * M * C),
    lnf: buffer(M * C), lnfMean: buffer(M), lnfRstd: buffer(M),
    logits: buffer(M * V), probs: buffer(M * V),
    losses: buffer(M), entropies: buffer(M),
    meanLoss: 0,
  };
}

type LayerActivationName =
  | 'ln1' | 'ln1Mean' | 'ln1Rstd' | 'qkv' | 'atty' | 'preatt' | 'att' | 'attproj' | 'residual2'
  | 'ln2' | 'ln2Mean' | 'ln2Rstd' | 'fch' | 'fchGelu' | 'fcproj' | 'residual3';

/** Returns views of one layer's slices of the activations stacked over L. */
function layerActivations(
  acts: Gpt2ReferenceActivations,
  layer: number,
  config: GPT2Config,
): Record<LayerActivationName, Float64Array> {
  const { nHead: NH, nEmbd: C } = config;
  const { B, T } = acts;
  const N = B * T;
  const slice = (buffer: Float64Array, size: number) => layerSlice(buffer, layer, size);
  return {
    ln1: slice(acts.ln1, N * C), ln1Mean: slice(acts.ln1Mean, N), ln1Rstd: slice(acts.ln1Rstd, N),
    qkv: slice(acts.qkv, N * 3 * C), atty: slice(acts.atty, N * C),
    preatt: slice(acts.preatt, B * NH * T * T), att: slice(acts.att, B * NH * T * T),
    attproj: slice(acts.attproj, N * C), residual2: slice(acts.residual2, N * C),
    ln2: slice(acts.ln2, N * C), ln2Mean: slice(acts.ln2Mean, N), ln2Rstd: slice(acts.ln2Rstd, N),
    fch: slice(acts.fch, N * 4 * C), fchGelu: slice(acts.fchGelu, N * 4 * C),
    fcproj: slice(acts.fcproj, N * C), residual3: slice(acts.residual3, N * C),
  };
}

/** Runs transformer block `layer` on `residual` (B,T,C), writing its activations into acts. */
function blockForward(
  acts: Gpt2ReferenceActivations,
  residual: Float64Array, // (B,T,C)
  weights: Record<ParameterName, Float64Array>,
  layer: number,
  config: GPT2Config,
): void {
  const { nHead: NH, nEmbd: C } = config;
  const { B, T } = acts;
  const N = B * T;
  const layerActs = layerActivations(acts, layer, config);

  // Attention sub-block: residual2 = residual + attproj(attention(qkv(ln1(residual)))).
  layernormForward(layerActs.ln1, layerActs.ln1Mean, layerActs.ln1Rstd, residual, weights.ln1w, weights.ln1b, { N, C });
  matmulForward(layerActs.qkv, layerActs.ln1, weights.qkvw, weights.qkvb, { N, C, OC: 3 * C });
  attentionForward(layerActs.atty, layerActs.preatt, layerActs.att, layerActs.qkv, { B, T, C, NH });
  matmulForward(layerActs.attproj, layerActs.atty, weights.attprojw, weights.attprojb, { N, C, OC: C });
  residualForward(layerActs.residual2, residual, layerActs.attproj, { N: N * C });

  // MLP sub-block: residual3 = residual2 + fcproj(gelu(fc(ln2(residual2)))).
  layernormForward(layerActs.ln2, layerActs.ln2Mean, layerActs.ln2Rstd, layerActs.residual2,
    weights.ln2w, weights.ln2b, { N, C });
  matmulForward(layerActs.fch, layerActs.ln2, weights.fcw, weights.fcb, { N, C, OC: 4 * C });
  geluForward(layerActs.fchGelu, layerActs.fch, { N: N * 4 * C });
  matmulForward(layerActs.fcproj, layerActs.fchGelu, weights.fcprojw, weights.fcprojb, { N, C: 4 * C, OC: C });
  residualForward(layerActs.residual3, layerActs.residual2, layerActs.fcproj, { N: N * C });
}

/** Runs the whole model on inputs (B,T) and scores every position against targets (B,T). */
export function gpt2Forward(
  params: Float64Array, // (P) flat, parameterLayout(config)
  inputs: Int32Array, // (B,T)
  targets: Int32Array, // (B,T)
  config: GPT2Config,
  { B, T }: Gpt2BatchSizes,
): Gpt2ReferenceActivations {
  checkBatch(config, inputs, { B, T });
  const layout = parameterLayout(config);
  checkLength('params', params, layout.total, '(P)');
  const { nLayer: L, nEmbd: C, vocabSize: V } = config;
  const M = B * T;
  const acts = allocateActivations(config, targets, B, T);
  const globals = tensorViews(params, layout, 0);

  encoderForward(acts.encoded, inputs, globals.wte, globals.wpe, { B, T, C });

  let residual = acts.encoded;
  for (let layer = 0; layer < L; layer++) {
    blockForward(acts, residual, tensorViews(params, layout, layer), layer, config);
    residual = layerSlice(acts.residual3, layer, M * C);
  }

  layernormForward(acts.lnf, acts.lnfMean, acts.lnfRstd, residual, globals.lnfw, globals.lnfb, { N: M, C });
  matmulForward(acts.logits, acts.lnf, globals.wte, null, { N: M, C, OC: V });
  crossentropyForward(acts.losses, acts.entropies, acts.probs, acts.logits, acts.targets, { M, V });

  let sum = 0;
  for (let j = 0; j < M; j++) sum += acts.losses[j];
  acts.meanLoss = sum / M;
  return acts;
}

/**
 * Accumulates into dinp (B,T,C) the gradient of block `layer`'s input, given dout (B,T,C),
 * the gradient of its output, and accumulates the block's parameter gradients into dweights.
 */
function blockBackward(
  dinp: Float64Array, // (B,T,C)
  dweights: Record<ParameterName, Float64Array>,
  dout: Float64Array, // (B,T,C)
  residual: Float64Array, // (B,T,C) the block's input
  weights: Record<ParameterName, Float64Array>,
  acts: Gpt2ReferenceActivations,
  layer: number,
  config: GPT2Config,
): void {
  const { nHead: NH, nEmbd: C } = config;
  const { B, T } = acts;
  const N = B * T;
  const layerActs = layerActivations(acts, layer, config);
  const zeros = (size: number) => new Float64Array(size);

  // Backward through residual3 = residual2 + fcproj.
  const dresidual2 = zeros(N * C);
  const dfcproj = zeros(N * C);
  residualBackward(dresidual2, dfcproj, dout, { N: N * C });

  // Backward through the MLP into dresidual2.
  const dfchGelu = zeros(N * 4 * C);
  matmulBackward(dfchGelu, dweights.fcprojw, dweights.fcprojb, dfcproj, layerActs.fchGelu, weights.fcprojw,
    { N, C: 4 * C, OC: C });
  const dfch = zeros(N * 4 * C);
  geluBackward(dfch, layerActs.fch, dfchGelu, { N: N * 4 * C });
  const dln2 = zeros(N * C);
  matmulBackward(dln2, dweights.fcw, dweights.fcb, dfch, layerActs.ln2, weights.fcw, { N, C, OC: 4 * C });
  layernormBackward(dresidual2, dweights.ln2w, dweights.ln2b, dln2, layerActs.residual2, weights.ln2w,
    layerActs.ln2Mean, layerActs.ln2Rstd, { N, C });

  // Backward through residual2 = residual + attproj.
  const dattproj = zeros(N * C);
  residualBackward(dinp, dattproj, dresidual2, { N: N * C });

  // Backward through the attention sub-block into dinp.
  const datty = zeros(N * C);
  matmulBackward(datty, dweights.attprojw, dweights.attprojb, dattproj, layerActs.atty, weights.attprojw,
    { N, C, OC: C });
  const dqkv = zeros(N * 3 * C);
  const dpreatt = zeros(B * NH * T * T);
  const datt = zeros(B * NH * T * T);
  attentionBackward(dqkv, dpreatt, datt, datty, layerActs.qkv, layerActs.att, { B, T, C, NH });
  const dln1 = zeros(N * C);
  matmulBackward(dln1, dweights.qkvw, dweights.qkvb, dqkv, layerActs.ln1, weights.qkvw, { N, C, OC: 3 * C });
  layernormBackward(dinp, dweights.ln1w, dweights.ln1b, dln1, residual, weights.ln1w,
    layerActs.ln1Mean, layerActs.ln1Rstd, { N, C });
}

/**
 * Accumulates into grads the gradient of L = (1/k)·Σ_j mask_j·loss_j over every
 * parameter. k is the kept count of the whole logical batch, so micro-batches of one
 * batch each pass their slice of the global mask and the same k, and their summed
 * gradients equal the one-piece gradient. wte gets both the LM-head and the encoder
 * gradient.
 */
export function gpt2Backward(
  grads: Float64Array, // (P) flat, accumulates
  params: Float64Array, // (P) flat
  acts: Gpt2ReferenceActivations,
  inputs: Int32Array, // (B,T)
  mask: Float64Array | Uint32Array, // (M) 0 or 1
  k: number,
  config: GPT2Config,
  { B, T }: Gpt2BatchSizes,
): void {
  checkBatch(config, inputs, { B, T });
  if (acts.B !== B || acts.T !== T) {
    throw new Error(`invalid sizes: activations are for B=${acts.B}, T=${acts.T}, got B=${B}, T=${T}`);
  }
  const layout = parameterLayout(config);
  checkLength('params', params, layout.total, '(P)');
  checkLength('grads', grads, layout.total, '(P)');
  const { nLayer: L, nEmbd: C, vocabSize: V } = config;
  const M = B * T;
  const weights = tensorViews(params, layout, 0);
  const dweights = tensorViews(grads, layout, 0);

  // Cross-entropy, tied LM head and final LayerNorm.
  const dlogits = new Float64Array(M * V);
  crossentropyBackward(dlogits, acts.probs, acts.targets, mask, k, { M, V });
  const dlnf = new Float64Array(M * C);
  matmulBackward(dlnf, dweights.wte, null, dlogits, acts.lnf, weights.wte, { N: M, C, OC: V });
  let dresidual = new Float64Array(M * C);
  const lastResidual = layerSlice(acts.residual3, L - 1, M * C);
  layernormBackward(dresidual, dweights.lnfw, dweights.lnfb, dlnf, lastResidual, weights.lnfw,
    acts.lnfMean, acts.lnfRstd, { N: M, C });

  // Blocks from last to first. dresidual is the gradient of the current block's output.
  for (let layer = L - 1; layer >= 0; layer--) {
    const residual = layer === 0 ? acts.encoded : layerSlice(acts.residual3, layer - 1, M * C);
    const dinp = new Float64Array(M * C);
    blockBackward(dinp, tensorViews(grads, layout, layer), dresidual, residual, tensorViews(params, layout, layer),
      acts, layer, config);
    dresidual = dinp;
  }

  encoderBackward(dweights.wte, dweights.wpe, dresidual, inputs, { B, T, C });
}
