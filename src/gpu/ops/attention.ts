// Host side of shaders/attention.wgsl: causal multi-head self-attention on packed qkv.
import source from '../../../shaders/attention.wgsl?raw';
import type { BufferSlice, Dispatch, KernelCache, KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';
import { grid1d, WG_1D } from '../workgroups.ts';

export const AttentionSizes = new UniformLayout('AttentionSizes', [
  ['B', 'u32'], ['T', 'u32'], ['C', 'u32'], ['NH', 'u32'],
] as const);

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

/** Accumulates into dinp (B,T,3C); dpreatt (B,NH,T,T) is scratch. */
export function attentionBackward(
  kernels: KernelCache,
  b: { dinp: BufferSlice; dpreatt: BufferSlice; dout: BufferSlice; inp: BufferSlice; att: BufferSlice },
  dims: AttentionDims,
): Dispatch[] {
  const uniform = kernels.uniform('attentionBackward', AttentionSizes.pack(dims));
  const HS = dims.C / dims.NH;
  const pairs = causalPairs(dims);
  const rows = dims.B * dims.NH * dims.T;
  const elements = dims.B * dims.T * dims.C;
  return [
    // dout·v (2·HS) and the softmax backward (≈5) per causal pair.
    kernels.dispatch(attentionModule, 'attentionBackwardScores', [b.dpreatt, b.dout, b.inp, b.att, uniform], grid1d(rows, WG_1D), pairs * (2 * HS + 5)),
    kernels.dispatch(attentionModule, 'attentionBackwardQuery', [b.dinp, b.dpreatt, b.inp, uniform], grid1d(elements, WG_1D), pairs * 2 * HS),
    kernels.dispatch(attentionModule, 'attentionBackwardKeyValue', [b.dinp, b.dpreatt, b.att, b.dout, b.inp, uniform], grid1d(elements, WG_1D), pairs * 4 * HS),
  ];
}
