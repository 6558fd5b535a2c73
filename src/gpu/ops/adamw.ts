// Host side of shaders/adamw.wgsl.
import source from '../../../shaders/adamw.wgsl?raw';
import type { BufferSlice, Dispatch, KernelCache, KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';
import { grid1d, WG_1D } from '../workgroups.ts';

export const AdamwParams = new UniformLayout('AdamwParams', [
  ['P', 'u32'], ['rangeCount', 'u32'], ['lr', 'f32'], ['beta1', 'f32'],
  ['beta2', 'f32'], ['eps', 'f32'], ['weightDecay', 'f32'], ['biasCorrection1', 'f32'],
  ['biasCorrection2', 'f32'],
] as const);

export const adamwModule: KernelModule = { name: 'adamw', source, uniforms: [AdamwParams] };

// Per element, counted from the kernel body (clip, two moments, bias correction, update).
const ADAMW_FLOPS = 16;

/** Updates params, m and v in place. `uniform` contains AdamwParams, written each step. */
export function adamwUpdate(
  kernels: KernelCache,
  b: {
    params: BufferSlice; m: BufferSlice; v: BufferSlice; grads: BufferSlice;
    decayRanges: BufferSlice; normStats: BufferSlice; uniform: GPUBuffer;
  },
  dims: { P: number },
): Dispatch[] {
  return [
    kernels.dispatch(
      adamwModule, 'adamwUpdate', [b.params, b.m, b.v, b.grads, b.decayRanges, b.normStats, b.uniform],
      grid1d(dims.P, WG_1D), ADAMW_FLOPS * dims.P,
    ),
  ];
}
