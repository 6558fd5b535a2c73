// Host side of shaders/select.wgsl: exact top-k by radix select on float bits.
import source from '../../../shaders/select.wgsl?raw';
import type { BufferSlice, Dispatch, KernelCache, KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';

export const SelectSizes = new UniformLayout('SelectSizes', [['M', 'u32'], ['k', 'u32']] as const);

export const selectModule: KernelModule = { name: 'select', source, uniforms: [SelectSizes] };

/** Index of each value in the selectStats buffer (3 floats). */
export const SELECT_STATS = { threshold: 0, keptCount: 1, keptScoreSum: 2 } as const;
export const SELECT_STATS_LENGTH = 3;

/**
 * Overwrites mask (M), keptIndices (first k of M entries) and selectStats from scores (M).
 * The only floating-point work is the sum of kept scores (k adds); the radix passes are
 * integer operations.
 */
export function selectTopK(
  kernels: KernelCache,
  b: { mask: BufferSlice; keptIndices: BufferSlice; selectStats: BufferSlice; scores: BufferSlice },
  dims: { M: number; k: number },
): Dispatch[] {
  if (!Number.isInteger(dims.k) || dims.k < 1 || dims.k > dims.M) {
    throw new Error(`selectTopK: k must be an integer in [1, ${dims.M}], got ${dims.k}`);
  }
  const uniform = kernels.uniform('select', SelectSizes.pack(dims));
  return [kernels.dispatch(selectModule, 'selectTopK', [b.mask, b.keptIndices, b.selectStats, b.scores, uniform], [1, 1, 1], dims.k)];
}
