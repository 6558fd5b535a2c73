// Host side of shaders/distill.wgsl: the per-token KL divergence of the student from a
// frozen teacher at temperature τ, and the masked backward of the blended
// cross-entropy and distillation loss that replaces crossentropyBackward in ESLM-KD.
import source from '../../../shaders/distill.wgsl?raw';
import type { BufferSlice, Dispatch, KernelCache, KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';
import { grid1d, rowGrid, WG_1D } from '../workgroups.ts';
import { checkKeptCount } from './select.ts';

export const DistillSizes = new UniformLayout('DistillSizes', [
  ['M', 'u32'], ['V', 'u32'], ['invKept', 'f32'], ['lambda', 'f32'], ['temperature', 'f32'], ['invTemperature', 'f32'],
] as const);

export const distillModule: KernelModule = { name: 'distill', source, uniforms: [DistillSizes] };

// Per logit: two maxes, a multiply, subtract, exp and add for the student and again for
// the teacher, then a subtract, multiply and add for the cross term.
const FORWARD_FLOPS = 13;
// Per logit: 11 multiplies, subtracts and exps to rebuild the three probabilities, two
// differences, a multiply by τ, then 1 − λ, three multiplies and one add.
const BACKWARD_FLOPS = 19;


function checkTemperature(op: string, temperature: number): void {
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw new Error(`${op}: invalid temperature ${temperature}, expected a finite number > 0`);
  }
}

/**
 * Overwrites kl (M) and distillStats (M,4) = [max(z/τ), log Σ exp(z/τ − max),
 * max(u/τ), log Σ exp(u/τ − max)] from the student logits z (M,V) and the teacher
 * logits u (M,V).
 */
export function distillForward(
  kernels: KernelCache,
  b: { kl: BufferSlice; distillStats: BufferSlice; logits: BufferSlice; teacherLogits: BufferSlice },
  dims: { M: number; V: number; temperature: number },
): Dispatch[] {
  checkTemperature('distillForward', dims.temperature);
  const uniform = kernels.uniform('distill', DistillSizes.pack({
    M: dims.M, V: dims.V, invKept: 0, lambda: 0, temperature: dims.temperature, invTemperature: 1 / dims.temperature,
  }));
  return [
    kernels.dispatch(
      distillModule, 'distillForward', [b.kl, b.distillStats, b.logits, b.teacherLogits, uniform],
      rowGrid(dims.M), FORWARD_FLOPS * dims.M * dims.V,
    ),
  ];
}

/**
 * Overwrites the student logits (M,V) in place with
 * dlogits = (mask/k)·[(1 − λ)·(p − onehot) + λ·τ·(p_S − p_T)], using rowStats (M,2) from
 * crossentropyForward and distillStats (M,4) from distillForward, which must have run
 * at the same temperature. Pass `uniform` (DistillSizes) to change k between steps:
 * the kernel then reads every size from that buffer, and `dims` only sizes the dispatch.
 */
export function distillBackward(
  kernels: KernelCache,
  b: {
    dlogits: BufferSlice; rowStats: BufferSlice; distillStats: BufferSlice;
    teacherLogits: BufferSlice; targets: BufferSlice; mask: BufferSlice;
  },
  dims: { M: number; V: number; k: number; lambda: number; temperature: number },
  uniform?: GPUBuffer,
): Dispatch[] {
  checkKeptCount('distillBackward', dims.k, dims.M);
  checkTemperature('distillBackward', dims.temperature);
  if (!(dims.lambda >= 0 && dims.lambda <= 1)) {
    throw new Error(`distillBackward: invalid lambda ${dims.lambda}, expected a number in [0, 1]`);
  }
  const sizes = uniform ?? kernels.uniform('distillBackward', DistillSizes.pack({
    M: dims.M, V: dims.V, invKept: 1 / dims.k, lambda: dims.lambda,
    temperature: dims.temperature, invTemperature: 1 / dims.temperature,
  }));
  return [
    kernels.dispatch(
      distillModule, 'distillBackward',
      [b.dlogits, b.rowStats, b.distillStats, b.teacherLogits, b.targets, b.mask, sizes],
      grid1d(dims.M * dims.V, WG_1D), BACKWARD_FLOPS * dims.M * dims.V,
    ),
  ];
}
