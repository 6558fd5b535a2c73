// Host side of shaders/crossentropy.wgsl: fused softmax, per-token loss and entropy,
// and the masked backward that divides by the kept count k.
import source from '../../../shaders/crossentropy.wgsl?raw';
import type { BufferSlice, Dispatch, KernelCache, KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';
import { grid1d, rowGrid, WG_1D } from '../workgroups.ts';
import { checkKeptCount } from './select.ts';

export const CrossentropySizes = new UniformLayout('CrossentropySizes', [
  ['M', 'u32'], ['V', 'u32'], ['invKept', 'f32'],
] as const);

export const crossentropyModule: KernelModule = { name: 'crossentropy', source, uniforms: [CrossentropySizes] };

// Per logit: max, subtract, exp, two adds, one multiply.
const FORWARD_FLOPS = 6;
// Per logit: two subtracts, exp, subtract, multiply.
const BACKWARD_FLOPS = 5;


/** Overwrites losses (M), entropies (M) and rowStats (M,2) from logits (M,V). */
export function crossentropyForward(
  kernels: KernelCache,
  b: { losses: BufferSlice; entropies: BufferSlice; rowStats: BufferSlice; logits: BufferSlice; targets: BufferSlice },
  dims: { M: number; V: number },
): Dispatch[] {
  const uniform = kernels.uniform('crossentropy', CrossentropySizes.pack({ ...dims, invKept: 0 }));
  return [
    kernels.dispatch(
      crossentropyModule, 'crossentropyForward', [b.losses, b.entropies, b.rowStats, b.logits, b.targets, uniform],
      rowGrid(dims.M), FORWARD_FLOPS * dims.M * dims.V,
    ),
  ];
}

/**
 * Overwrites the logits (M,V) in place with dlogits = (mask/k)·(p − onehot). Pass
 * `uniform` (CrossentropySizes) to change k between steps.
 */
export function crossentropyBackward(
  kernels: KernelCache,
  b: { dlogits: BufferSlice; rowStats: BufferSlice; targets: BufferSlice; mask: BufferSlice },
  dims: { M: number; V: number; k: number },
  uniform?: GPUBuffer,
): Dispatch[] {
  checkKeptCount('crossentropyBackward', dims.k, dims.M);
  const sizes = uniform ?? kernels.uniform('crossentropyBackward', CrossentropySizes.pack({ M: dims.M, V: dims.V, invKept: 1 / dims.k }));
  return [
    kernels.dispatch(
      crossentropyModule, 'crossentropyBackward', [b.dlogits, b.rowStats, b.targets, b.mask, sizes],
      grid1d(dims.M * dims.V, WG_1D), BACKWARD_FLOPS * dims.M * dims.V,
    ),
  ];
}

/**
 * dlogits of the kept tokens only, compacted: row r of dlogitsKept (k,V) is token
 * keptIndices[r]. `uniform` (CrossentropySizes) contains M = k and 1/k for the step; the
 * dispatch covers maxKept rows.
 */
export function crossentropyBackwardKept(
  kernels: KernelCache,
  b: { dlogitsKept: BufferSlice; logits: BufferSlice; rowStats: BufferSlice; targets: BufferSlice; keptIndices: BufferSlice },
  dims: { maxKept: number; V: number },
  uniform: GPUBuffer,
): Dispatch[] {
  return [
    kernels.dispatch(
      crossentropyModule, 'crossentropyBackwardKept', [b.dlogitsKept, b.logits, b.rowStats, b.targets, b.keptIndices, uniform],
      grid1d(dims.maxKept * dims.V, WG_1D), BACKWARD_FLOPS * dims.maxKept * dims.V,
    ),
  ];
}
