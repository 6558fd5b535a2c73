// The table of activation tensors and of their gradients for one (B, T) batch shape.
// Each named tensor is its own GPUBuffer: WebGPU forbids one buffer being bound as
// writable and read-only storage in the same dispatch, and a layer's kernels write one
// activation while reading another. Per-layer tensors stack L slices in one buffer,
// each slice aligned to 256 bytes so it can be bound alone.

import type { GPT2Config } from './config.ts';
import { alignElements } from './layout.ts';

export interface BatchDims {
  B: number;
  T: number;
}

interface TensorSpec<Name extends string> {
  name: Name;
  /** Elements of one slice, from the model config and batch shape. */
  elements: (c: GPT2Config, d: BatchDims) => number;
  /** Shape of one slice, written with symbols. */
  symbolicShape: string;
  perLayer: boolean;
}

function spec<Name extends string>(
  name: Name, symbolicShape: string, perLayer: boolean, elements: (c: GPT2Config, d: BatchDims) => number,
): TensorSpec<Name> {
  return { name, symbolicShape, perLayer, elements };
}

const btc = (c: GPT2Config, d: BatchDims) => d.B * d.T * c.nEmbd;
const bt = (_c: GPT2Config, d: BatchDims) => d.B * d.T;

/** Forward activations, llm.c's ActivationTensors with the names of this project. */
export const ACTIVATION_TENSORS = [
  spec('encoded', '(B,T,C)', false, btc),
  spec('ln1', '(B,T,C)', true, btc),
  spec('ln1Mean', '(B,T)', true, bt),
  spec('ln1Rstd', '(B,T)', true, bt),
  spec('qkv', '(B,T,3C)', true, (c, d) => 3 * btc(c, d)),
  spec('att', '(B,NH,T,T)', true, (c, d) => d.B * c.nHead * d.T * d.T),
  spec('atty', '(B,T,C)', true, btc),
  spec('attproj', '(B,T,C)', true, btc),
  spec('residual2', '(B,T,C)', true, btc),
  spec('ln2', '(B,T,C)', true, btc),
  spec('ln2Mean', '(B,T)', true, bt),
  spec('ln2Rstd', '(B,T)', true, bt),
  spec('fch', '(B,T,4C)', true, (c, d) => 4 * btc(c, d)),
  spec('fchGelu', '(B,T,4C)', true, (c, d) => 4 * btc(c, d)),
  spec('fcproj', '(B,T,C)', true, btc),
  spec('residual3', '(B,T,C)', true, btc),
  spec('lnf', '(B,T,C)', false, btc),
  spec('lnfMean', '(B,T)', false, bt),
  spec('lnfRstd', '(B,T)', false, bt),
  // Holds the logits after the forward and dlogits after the cross-entropy backward.
  spec('logits', '(B,T,V)', false, (c, d) => d.B * d.T * c.vocabSize),
  spec('losses', '(B,T)', false, bt),
  spec('entropies', '(B,T)', false, bt),
  spec('rowStats', '(B,T,2)', false, (c, d) => 2 * bt(c, d)),
] as const;

/**
 * Gradients of activations used as backward scratch. Those accumulated into (+=) are
 * zeroed at the start of each step; OVERWRITTEN_GRAD_TENSORS are not.
 */
export const ACTIVATION_GRAD_TENSORS = [
  spec('dresidual', '(B,T,C)', false, btc),
  spec('dlnf', '(B,T,C)', false, btc),
  spec('dfchGelu', '(B,T,4C)', true, (c, d) => 4 * btc(c, d)),
  spec('dfch', '(B,T,4C)', true, (c, d) => 4 * btc(c, d)),
  spec('dln2', '(B,T,C)', true, btc),
  spec('datty', '(B,T,C)', true, btc),
  spec('dpreatt', '(B,NH,T,T)', true, (c, d) => d.B * c.nHead * d.T * d.T),
  spec('dqkv', '(B,T,3C)', true, (c, d) => 3 * btc(c, d)),
  spec('dln1', '(B,T,C)', true, btc),
  // Kept-row scratch of the LM-head backward: rows 0..k−1 are the kept tokens in order.
  spec('dlogitsKept', '(k,V)', false, (c, d) => d.B * d.T * c.vocabSize),
  spec('lnfKept', '(k,C)', false, btc),
  spec('dlnfKept', '(k,C)', false, btc),
  // Kept-row scratch of the final LayerNorm and the last block's position-wise backward:
  // the activations those steps read, gathered to rows 0..k−1, and their gradients.
  spec('residual3Kept', '(k,C)', false, btc),
  spec('lnfMeanKept', '(k)', false, bt),
  spec('lnfRstdKept', '(k)', false, bt),
  spec('dresidualKept', '(k,C)', false, btc),
  spec('fchGeluKept', '(k,4C)', false, (c, d) => 4 * btc(c, d)),
  spec('fchKept', '(k,4C)', false, (c, d) => 4 * btc(c, d)),
  spec('dfchGeluKept', '(k,4C)', false, (c, d) => 4 * btc(c, d)),
  spec('dfchKept', '(k,4C)', false, (c, d) => 4 * btc(c, d)),
  spec('ln2Kept', '(k,C)', false, btc),
  spec('dln2Kept', '(k,C)', false, btc),
  spec('residual2Kept', '(k,C)', false, btc),
  spec('ln2MeanKept', '(k)', false, bt),
  spec('ln2RstdKept', '(k)', false, bt),
  spec('attyKept', '(k,C)', false, btc),
  spec('dattyKept', '(k,C)', false, btc),
] as const;

/**
 * Activation gradients every kernel overwrites before reading, so the step need not
 * zero them. dresidualKept and dfchKept are accumulated into and stay in the zeroed set.
 */
export const OVERWRITTEN_GRAD_TENSORS: readonly ActivationGradName[] = [
  'dpreatt', 'dlogitsKept', 'lnfKept', 'dlnfKept', 'residual3Kept', 'lnfMeanKept', 'lnfRstdKept', 'fchGeluKept', 'fchKept',
  'dfchGeluKept', 'ln2Kept', 'dln2Kept', 'residual2Kept', 'ln2MeanKept', 'ln2RstdKept', 'attyKept', 'dattyKept',
];

export type ActivationName = (typeof ACTIVATION_TENSORS)[number]['name'];
export type ActivationGradName = (typeof ACTIVATION_GRAD_TENSORS)[number]['name'];

export interface TensorAllocation {
  symbolicShape: string;
  perLayer: boolean;
  /** Elements of one (layer) slice. */
  sliceElements: number;
  /** Distance between layer slices in elements (aligned). */
  sliceStride: number;
  /** Elements of the whole buffer. */
  totalElements: number;
}

export function tensorAllocations<Name extends string>(
  table: readonly TensorSpec<Name>[], config: GPT2Config, dims: BatchDims,
): Record<Name, TensorAllocation> {
  const out = {} as Record<Name, TensorAllocation>;
  for (const t of table) {
    const sliceElements = t.elements(config, dims);
    const sliceStride = alignElements(sliceElements);
    const layers = t.perLayer ? config.nLayer : 1;
    out[t.name] = {
      symbolicShape: t.symbolicShape,
      perLayer: t.perLayer,
      sliceElements,
      sliceStride,
      totalElements: sliceStride * (layers - 1) + sliceElements,
    };
  }
  return out;
}

/** Return the largest buffer a model of this shape allocates: its name, shape and size in bytes. */
export function largestBuffer(config: GPT2Config, dims: BatchDims, parameterElements: number): { name: string; shape: string; bytes: number } {
  let largest = { name: 'params', shape: '(P)', bytes: parameterElements * 4 };
  const tables = [
    ['acts', tensorAllocations(ACTIVATION_TENSORS, config, dims)],
    ['dacts', tensorAllocations(ACTIVATION_GRAD_TENSORS, config, dims)],
  ] as const;
  for (const [prefix, allocations] of tables) {
    for (const [name, alloc] of Object.entries(allocations) as [string, TensorAllocation][]) {
      const bytes = alloc.totalElements * 4;
      if (bytes > largest.bytes) {
        largest = { name: `${prefix}.${name}`, shape: alloc.perLayer ? `(L,${alloc.symbolicShape.slice(1)}` : alloc.symbolicShape, bytes };
      }
    }
  }
  return largest;
}
