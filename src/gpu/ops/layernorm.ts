// Host side of shaders/layernorm.wgsl.
import source from '../../../shaders/layernorm.wgsl?raw';
import { LAYERNORM_EPS } from '../../model/config.ts';
import { perActiveRow, type BufferSlice, type Dispatch, type KernelCache, type KernelModule } from '../kernel.ts';
import type { ActiveRows } from './matmul.ts';
import { UniformLayout } from '../uniforms.ts';
import { ceilDiv, grid1d, WG_1D } from '../workgroups.ts';

/** skipT: positions per sequence when rows after each sequence's active length are skipped; 0 for none. */
export const LayernormSizes = new UniformLayout('LayernormSizes', [['N', 'u32'], ['C', 'u32'], ['eps', 'f32'], ['skipT', 'u32']] as const, { skipT: 0 });

export const layernormModule: KernelModule = { name: 'layernorm', source, uniforms: [LayernormSizes] };

// Arithmetic operations per element, counted from the kernel bodies.
const FORWARD_FLOPS = 8;
const BACKWARD_INPUT_FLOPS = 14;
const BACKWARD_PARAMS_FLOPS = 5;

export function layernormForward(
  kernels: KernelCache,
  b: { out: BufferSlice; mean: BufferSlice; rstd: BufferSlice; inp: BufferSlice; weight: BufferSlice; bias: BufferSlice },
  dims: { N: number; C: number },
): Dispatch[] {
  const uniform = kernels.uniform('layernorm', LayernormSizes.pack({ ...dims, eps: LAYERNORM_EPS }));
  return [
    kernels.dispatch(
      layernormModule, 'layernormForward', [b.out, b.mean, b.rstd, b.inp, b.weight, b.bias, uniform],
      grid1d(dims.N, WG_1D), FORWARD_FLOPS * dims.N * dims.C,
    ),
  ];
}

/**
 * Accumulates into dinp, dweight and dbias. Pass `uniform` (LayernormSizes) to set the
 * row count per step; `dims.N` then sizes the dispatch, the largest count.
 */
export function layernormBackward(
  kernels: KernelCache,
  b: {
    dinp: BufferSlice; dweight: BufferSlice; dbias: BufferSlice; dout: BufferSlice;
    inp: BufferSlice; weight: BufferSlice; mean: BufferSlice; rstd: BufferSlice;
  },
  dims: { N: number; C: number },
  perStepUniform?: GPUBuffer,
  activeRows?: ActiveRows,
): Dispatch[] {
  const uniform = perStepUniform ?? kernels.uniform('layernormBackward', LayernormSizes.pack({ ...dims, eps: LAYERNORM_EPS, skipT: activeRows?.T ?? 0 }));
  const lengths = activeRows?.lengths ?? kernels.placeholder;
  const elements = dims.N * dims.C;
  const dispatches = [
    kernels.dispatch(
      layernormModule, 'layernormBackwardInput', [b.dinp, b.dout, b.inp, b.weight, b.mean, b.rstd, uniform, lengths],
      grid1d(dims.N, WG_1D), BACKWARD_INPUT_FLOPS * elements,
    ),
    kernels.dispatch(
      layernormModule, 'layernormBackwardParams', [b.dweight, b.dbias, b.dout, b.inp, b.mean, b.rstd, uniform, lengths],
      [ceilDiv(dims.C, WG_1D), 1, 1], BACKWARD_PARAMS_FLOPS * elements,
    ),
  ];
  return activeRows ? dispatches.map((d) => perActiveRow(d, dims.N)) : dispatches;
}
