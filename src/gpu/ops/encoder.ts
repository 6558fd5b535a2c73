// Host side of shaders/encoder.wgsl: token + position embedding.
import source from '../../../shaders/encoder.wgsl?raw';
import type { BufferSlice, Dispatch, KernelCache, KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';
import { ceilDiv, grid1d, WG_1D } from '../workgroups.ts';

export const EncoderSizes = new UniformLayout('EncoderSizes', [
  ['B', 'u32'], ['T', 'u32'], ['C', 'u32'], ['V', 'u32'],
] as const);

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

/** Accumulates into dwte and dwpe. */
export function encoderBackward(
  kernels: KernelCache,
  b: { dwte: BufferSlice; dwpe: BufferSlice; dout: BufferSlice; inp: BufferSlice },
  dims: EncoderDims,
): Dispatch[] {
  const uniform = kernels.uniform('encoderBackward', EncoderSizes.pack(dims));
  const n = dims.B * dims.T * dims.C;
  return [
    kernels.dispatch(encoderModule, 'encoderBackwardWte', [b.dwte, b.dout, b.inp, uniform], [ceilDiv(dims.C, WG_1D), 1, 1], n),
    kernels.dispatch(encoderModule, 'encoderBackwardWpe', [b.dwpe, b.dout, uniform], [ceilDiv(dims.T * dims.C, WG_1D), 1, 1], n),
  ];
}
