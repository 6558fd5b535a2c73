// Host side of shaders/attention.wgsl: causal multi-head self-attention on packed qkv.
import source from '../../../shaders/attention.wgsl?raw';
import type { BufferSlice, Dispatch, KernelCache, KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';
import { grid1d, WG_1D } from '../workgroups.ts';

/** skipRows: 1 when queries after each sequence's active length are skipped in the backward. */
export const AttentionSizes = new UniformLayout('AttentionSizes', [
  ['B', 'u32'], ['T', 'u32'], ['C', 'u32'], ['NH', 'u32'], ['skipRows', 'u32'],
] as const, { skipRows: 0 });

export const attentionModule: KernelModule = { name: 'attention', source, uniforms: [AttentionSizes] };

export interface AttentionDims { B: number; T: number; C: number; NH: number }

/** Causal (query, key) pairs over all batches and heads: B·NH·T(T+1)/2. */
function causalPairs(dims: AttentionDims): number {
  return (dims.B * dims.NH * dims.T * (dims.T + 1)) / 2;
}

/** Overwrites out (B,T,C) and att (B,NH,T,T). */
export function attentionForward(
  kernels: KernelCache,
  b: { out: BufferSlice; att: BufferSlice; inp: BufferSlice },
  dims: AttentionDims,
): Dispatch[] {
  const uniform = kernels.uniform('attention', AttentionSizes.pack(dims));
  const HS = dims.C / dims.NH;
  // Per causal pair: q·k (2·HS), scale, max, exp, sum, normalise (≈5), att·v (2·HS).
  const flops = causalPairs(dims) * (4 * HS + 5);
  return [
    kernels.dispatch(attentionModule, 'attentionForward', [b.out, b.att, b.inp, uniform], grid1d(dims.B * dims.NH * dims.T, WG_1D), flops),
  ];
}

/**
 * Accumulates into dinp (B,T,3C); dpreatt (B,NH,T,T) is scratch. With `activeLengths`
 * (B), queries after each sequence's active length are skipped (their dout must be
 * zero), and the FLOPs are counted per active causal pair per head.
 */
export function attentionBackward(
  kernels: KernelCache,
  b: { dinp: BufferSlice; dpreatt: BufferSlice; dout: BufferSlice; inp: BufferSlice; att: BufferSlice },
  dims: AttentionDims,
  activeLengths?: BufferSlice,
): Dispatch[] {
  const uniform = kernels.uniform('attentionBackward', AttentionSizes.pack({ ...dims, skipRows: activeLengths ? 1 : 0 }));
  const lengths = activeLengths ?? kernels.placeholder;
  const HS = dims.C / dims.NH;
  const pairs = causalPairs(dims);
  const rows = dims.B * dims.NH * dims.T;
  const elements = dims.B * dims.T * dims.C;
  // Per causal pair: dout·v (2·HS) and the softmax backward (≈5); dq (2·HS); dk and dv (4·HS).
  const perPair = [2 * HS + 5, 2 * HS, 4 * HS];
  const dispatches = [
    kernels.dispatch(attentionModule, 'attentionBackwardScores', [b.dpreatt, b.dout, b.inp, b.att, uniform, lengths], grid1d(rows, WG_1D), pairs * perPair[0]),
    kernels.dispatch(attentionModule, 'attentionBackwardQuery', [b.dinp, b.dpreatt, b.inp, uniform, lengths], grid1d(elements, WG_1D), pairs * perPair[1]),
    kernels.dispatch(attentionModule, 'attentionBackwardKeyValue', [b.dinp, b.dpreatt, b.att, b.dout, b.inp, uniform, lengths], grid1d(elements, WG_1D), pairs * perPair[2]),
  ];
  if (!activeLengths) return dispatches;
  // Active pairs are counted over sequences, once; every head repeats them.
  return dispatches.map((d, i) => ({ ...d, flops: 0, flopsPerActivePair: dims.NH * perPair[i] }));
}
