// Host side of shaders/encoder.wgsl: token + position embedding.
import source from '../../../shaders/encoder.wgsl?raw';
import { perActiveRow, type BufferSlice, type Dispatch, type KernelCache, type KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';
import { ceilDiv, grid1d, WG_1D } from '../workgroups.ts';

/** skipRows: 1 when positions after each sequence's active length are skipped in the backward. */
export const EncoderSizes = new UniformLayout('EncoderSizes', [
  ['B', 'u32'], ['T', 'u32'], ['C', 'u32'], ['V', 'u32'], ['skipRows', 'u32'],
] as const, { skipRows: 0 });

export const encoderModule: KernelModule = { name: 'encoder', source, uniforms: [EncoderSizes] };

export interface EncoderDims { B: number; T: number; C: number; V: number }

export function encoderForward(
  kernels: KernelCache,
  b: { out: BufferSlice; inp: BufferSlice; wte: BufferSlice; wpe: BufferSlice },
  dims: EncoderDims,
): Dispatch[] {
  const uniform = kernels.uniform('encoder', EncoderSizes.pack(dims));
  const n = dims.B * dims.T * dims.C;
  // One add per output element.
  return [kernels.dispatch(encoderModule, 'encoderForward', [b.out, b.inp, b.wte, b.wpe, uniform], grid1d(n, WG_1D), n)];
}

/** Accumulates into dwte and dwpe; with `activeLengths` (B), positions after each sequence's active length are skipped. */
export function encoderBackward(
  kernels: KernelCache,
  b: { dwte: BufferSlice; dwpe: BufferSlice; dout: BufferSlice; inp: BufferSlice },
  dims: EncoderDims,
  activeLengths?: BufferSlice,
): Dispatch[] {
  const uniform = kernels.uniform('encoderBackward', EncoderSizes.pack({ ...dims, skipRows: activeLengths ? 1 : 0 }));
  const lengths = activeLengths ?? kernels.placeholder;
  const n = dims.B * dims.T * dims.C;
  const dispatches = [
    kernels.dispatch(encoderModule, 'encoderBackwardWte', [b.dwte, b.dout, b.inp, uniform, lengths], [ceilDiv(dims.C, WG_1D), 1, 1], n),
    kernels.dispatch(encoderModule, 'encoderBackwardWpe', [b.dwpe, b.dout, uniform, lengths], [ceilDiv(dims.T * dims.C, WG_1D), 1, 1], n),
  ];
  return activeLengths ? dispatches.map((d) => perActiveRow(d, dims.B * dims.T)) : dispatches;
}
