// Host side of shaders/rows.wgsl: gather and scatter rows through kept indices.
import source from '../../../shaders/rows.wgsl?raw';
import type { BufferSlice, Dispatch, KernelCache, KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';
import { grid1d, WG_1D } from '../workgroups.ts';

export const RowSizes = new UniformLayout('RowSizes', [['rows', 'u32'], ['C', 'u32']] as const);

export const rowsModule: KernelModule = { name: 'rows', source, uniforms: [RowSizes] };

/**
 * out (rows,C) = inp[indices[r]]; `maxRows` sizes the dispatch, `uniform` (RowSizes)
 * contains the current row count. Copies only, so it counts no FLOPs.
 */
export function gatherRows(
  kernels: KernelCache,
  b: { out: BufferSlice; inp: BufferSlice; indices: BufferSlice },
  dims: { maxRows: number; C: number },
  uniform: GPUBuffer,
): Dispatch[] {
  return [kernels.dispatch(rowsModule, 'gatherRows', [b.out, b.inp, b.indices, uniform], grid1d(dims.maxRows * dims.C, WG_1D), 0)];
}

/** out[indices[r]] = inp (rows,C); rows of out not listed keep their values. Copies only. */
export function scatterRows(
  kernels: KernelCache,
  b: { out: BufferSlice; inp: BufferSlice; indices: BufferSlice },
  dims: { maxRows: number; C: number },
  uniform: GPUBuffer,
): Dispatch[] {
  return [kernels.dispatch(rowsModule, 'scatterRows', [b.out, b.inp, b.indices, uniform], grid1d(dims.maxRows * dims.C, WG_1D), 0)];
}

/** gatherRows for u32/i32 data such as token ids. Copies only. */
export function gatherRowsU32(
  kernels: KernelCache,
  b: { out: BufferSlice; inp: BufferSlice; indices: BufferSlice },
  dims: { maxRows: number; C: number },
  uniform: GPUBuffer,
): Dispatch[] {
  return [kernels.dispatch(rowsModule, 'gatherRowsU32', [b.out, b.inp, b.indices, uniform], grid1d(dims.maxRows * dims.C, WG_1D), 0)];
}

/** means (rows) = mean over each row of values (rows,C), overwriting means. */
export function rowMeans(
  kernels: KernelCache,
  b: { means: BufferSlice; values: BufferSlice },
  dims: { rows: number; C: number },
): Dispatch[] {
  const uniform = kernels.uniform('rowMeans', RowSizes.pack({ rows: dims.rows, C: dims.C }));
  return [kernels.dispatch(rowsModule, 'rowMeans', [b.means, b.values, uniform], [Math.ceil(dims.rows / WG_1D), 1, 1], dims.rows * (dims.C + 1))];
}
