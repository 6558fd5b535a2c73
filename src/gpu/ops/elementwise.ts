// Host side of shaders/elementwise.wgsl: GELU and the residual add.
import source from '../../../shaders/elementwise.wgsl?raw';
import { perActiveRow, type BufferSlice, type Dispatch, type KernelCache, type KernelModule } from '../kernel.ts';
import type { ActiveRows } from './matmul.ts';
import { UniformLayout } from '../uniforms.ts';
import { grid1d, WG_1D } from '../workgroups.ts';

/** skipT and rowWidth: positions per sequence and elements per row, when rows after each sequence's active length are skipped. */
export const ElementwiseSizes = new UniformLayout('ElementwiseSizes', [['N', 'u32'], ['skipT', 'u32'], ['rowWidth', 'u32']] as const, { skipT: 0, rowWidth: 1 });

export const elementwiseModule: KernelModule = { name: 'elementwise', source, uniforms: [ElementwiseSizes] };

// Arithmetic operations per element, counted from the kernel bodies.
const GELU_FORWARD_FLOPS = 9;
const GELU_BACKWARD_FLOPS = 16;

export function geluForward(kernels: KernelCache, b: { out: BufferSlice; inp: BufferSlice }, dims: { N: number }): Dispatch[] {
  const uniform = kernels.uniform('gelu', ElementwiseSizes.pack(dims));
  return [kernels.dispatch(elementwiseModule, 'geluForward', [b.out, b.inp, uniform], grid1d(dims.N, WG_1D), GELU_FORWARD_FLOPS * dims.N)];
}

/** Accumulates into dinp. Pass `uniform` (ElementwiseSizes) to set N per step; `dims.N` then sizes the dispatch. */
export function geluBackward(
  kernels: KernelCache,
  b: { dinp: BufferSlice; inp: BufferSlice; dout: BufferSlice },
  dims: { N: number },
  perStepUniform?: GPUBuffer,
  activeRows?: ActiveRows & { rowWidth: number },
): Dispatch[] {
  const uniform = perStepUniform ?? kernels.uniform('geluBackward', ElementwiseSizes.pack({
    N: dims.N, skipT: activeRows?.T ?? 0, rowWidth: activeRows?.rowWidth ?? 1,
  }));
  const dispatch = kernels.dispatch(
    elementwiseModule, 'geluBackward', [b.dinp, b.inp, b.dout, uniform, activeRows?.lengths ?? kernels.placeholder],
    grid1d(dims.N, WG_1D), GELU_BACKWARD_FLOPS * dims.N,
  );
  return [activeRows ? perActiveRow(dispatch, dims.N / activeRows.rowWidth) : dispatch];
}

export function residualForward(
  kernels: KernelCache,
  b: { out: BufferSlice; inp1: BufferSlice; inp2: BufferSlice },
  dims: { N: number },
): Dispatch[] {
  const uniform = kernels.uniform('residual', ElementwiseSizes.pack(dims));
  return [kernels.dispatch(elementwiseModule, 'residualForward', [b.out, b.inp1, b.inp2, uniform], grid1d(dims.N, WG_1D), dims.N)];
}

/** Accumulates dout into both dinp1 and dinp2. */
export function residualBackward(
  kernels: KernelCache,
  b: { dinp1: BufferSlice; dinp2: BufferSlice; dout: BufferSlice },
  dims: { N: number },
): Dispatch[] {
  const uniform = kernels.uniform('residualBackward', ElementwiseSizes.pack(dims));
  return [
    kernels.dispatch(elementwiseModule, 'residualBackward', [b.dinp1, b.dinp2, b.dout, uniform], grid1d(dims.N, WG_1D), 2 * dims.N),
  ];
}

/** out = inp1 − inp2, overwriting out. */
export function differenceForward(
  kernels: KernelCache,
  b: { out: BufferSlice; inp1: BufferSlice; inp2: BufferSlice },
  dims: { N: number },
): Dispatch[] {
  const uniform = kernels.uniform('difference', ElementwiseSizes.pack(dims));
  return [kernels.dispatch(elementwiseModule, 'differenceForward', [b.out, b.inp1, b.inp2, uniform], grid1d(dims.N, WG_1D), dims.N)];
}
