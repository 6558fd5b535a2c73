// Nominal FLOPs: the accounting selection papers report. Executed FLOPs are summed from
// the dispatches themselves (Dispatch.flops, set where each kernel's host code builds it).

import type { GPT2Config } from './config.ts';

/**
 * N: parameters that take part in matrix multiplies per token, the LM head included
 * (12·L·C² for the blocks' qkv, projection and MLP weights, V·C for the tied head).
 * Embedding lookups, biases and LayerNorm gains are left out, as in Kaplan et al. 2020.
 */
export function matmulParameterCount(config: GPT2Config): number {
  const C = config.nEmbd;
  return 12 * config.nLayer * C * C + config.vocabSize * C;
}

/**
 * Nominal FLOPs of one step: forward 2N + 4·L·T·C per token on all M tokens, backward
 * twice that on the k kept tokens. The attention term 4·L·T·C (QKᵀ and att·V) follows
 * Chowdhery et al. 2022 (PaLM), appendix B, which counts 6N + 12·L·T·C per token for a
 * forward and backward pass.
 */
export function nominalStepFlops(config: GPT2Config, T: number, M: number, k: number): number {
  const perTokenForward = nominalForwardFlopsPerToken(config, T);
  return M * perTokenForward + k * 2 * perTokenForward;
}

/**
 * Nominal forward FLOPs per token, 2N + 4·L·T·C. A frozen reference or teacher model
 * (Rho-1, distillation) adds this for every token of the batch.
 */
export function nominalForwardFlopsPerToken(config: GPT2Config, T: number): number {
  return 2 * matmulParameterCount(config) + 4 * config.nLayer * T * config.nEmbd;
}
