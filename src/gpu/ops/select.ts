// Host side of shaders/select.wgsl: exact top-k by radix select on float bits.
import source from '../../../shaders/select.wgsl?raw';
import type { BufferSlice, Dispatch, KernelCache, KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';

export const SelectSizes = new UniformLayout('SelectSizes', [['M', 'u32'], ['k', 'u32']] as const);

export const selectModule: KernelModule = { name: 'select', source, uniforms: [SelectSizes] };

/** Index of each value in the selectStats buffer (3 floats). */
export const SELECT_STATS = { threshold: 0, keptCount: 1, keptScoreSum: 2 } as const;
export const SELECT_STATS_LENGTH = 3;

export function checkKeptCount(op: string, k: number, M: number): void {
  if (!Number.isInteger(k) || k < 1 || k > M) {
    throw new Error(`${op}: kept count k must be an integer in [1, ${M}], got ${k}`);
  }
}

/**
 * Overwrites mask (M), keptIndices (first k of M entries) and selectStats from scores (M).
 * The only floating-point work is the sum of kept scores (k adds); the radix passes are
 * integer operations. Pass `uniform` (SelectSizes) to change k between steps.
 */
export function selectTopK(
  kernels: KernelCache,
  b: { mask: BufferSlice; keptIndices: BufferSlice; selectStats: BufferSlice; scores: BufferSlice },
  dims: { M: number; k: number },
  uniform?: GPUBuffer,
): Dispatch[] {
  checkKeptCount('selectTopK', dims.k, dims.M);
  const sizes = uniform ?? kernels.uniform('select', SelectSizes.pack(dims));
  const dispatch = kernels.dispatch(selectModule, 'selectTopK', [b.mask, b.keptIndices, b.selectStats, b.scores, sizes], [1, 1, 1], 0);
  // The kept-score sum: one add per kept row.
  return [{ ...dispatch, flopsPerKeptRow: 1 }];
}
