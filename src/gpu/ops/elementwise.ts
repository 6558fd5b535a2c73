// Host side of shaders/elementwise.wgsl: GELU and the residual add.
import source from '../../../shaders/elementwise.wgsl?raw';
import type { BufferSlice, Dispatch, KernelCache, KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';
import { grid1d, WG_1D } from '../workgroups.ts';

export const ElementwiseSizes = new UniformLayout('ElementwiseSizes', [['N', 'u32']] as const);

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
): Dispatch[] {
  const uniform = perStepUniform ?? kernels.uniform('geluBackward', ElementwiseSizes.pack(dims));
  return [
    kernels.dispatch(elementwiseModule, 'geluBackward', [b.dinp, b.inp, b.dout, uniform], grid1d(dims.N, WG_1D), GELU_BACKWARD_FLOPS * dims.N),
  ];
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
