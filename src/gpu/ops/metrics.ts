// Host side of shaders/metrics.wgsl: per-step statistics into a GPU ring of records,
// and the global gradient norm with its clip scale.
import source from '../../../shaders/metrics.wgsl?raw';
import type { BufferSlice, Dispatch, KernelCache, KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';
import { ceilDiv, WG_REDUCE } from '../workgroups.ts';

/** Fields of one metric record, in ring order. */
export const METRIC_FIELDS = [
  'trainLoss', 'selectedLoss', 'meanEntropy', 'threshold', 'keptCount', 'gradNorm', 'clipScale', 'lossStd',
  'activeRows', 'activePairs',
] as const;
/** Fields stored as u32 bit patterns (exact counts) rather than f32 values. */
export const METRIC_U32_FIELDS: readonly MetricField[] = ['activeRows', 'activePairs'];
export type MetricField = (typeof METRIC_FIELDS)[number];
/** Floats per record (fields padded to a multiple of 4). */
export const METRIC_STRIDE = Math.ceil(METRIC_FIELDS.length / 4) * 4;

function constantName(field: string): string {
  return `METRIC_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

const prelude = [
  `const METRIC_STRIDE: u32 = ${METRIC_STRIDE}u;`,
  ...METRIC_FIELDS.map((field, i) => `const ${constantName(field)}: u32 = ${i}u;`),
].join('\n');

export const LossStatisticsSizes = new UniformLayout('LossStatisticsSizes', [['M', 'u32'], ['slot', 'u32']] as const);
export const GradNormSizes = new UniformLayout('GradNormSizes', [
  ['P', 'u32'], ['perThread', 'u32'], ['partialCount', 'u32'], ['slot', 'u32'], ['maxNorm', 'f32'],
] as const);

export const ActiveLengthSizes = new UniformLayout('ActiveLengthSizes', [['B', 'u32'], ['T', 'u32'], ['slot', 'u32']] as const);

export const metricsModule: KernelModule = {
  name: 'metrics', source, uniforms: [LossStatisticsSizes, GradNormSizes, ActiveLengthSizes], prelude,
};

/**
 * Writes each sequence's active length (1 + its last kept position) and the active row
 * and pair totals into the ring slot of the uniform. Integer work only.
 */
export function activeLengthsForward(
  kernels: KernelCache,
  b: { activeLengths: BufferSlice; ring: BufferSlice; mask: BufferSlice; uniform: GPUBuffer },
): Dispatch[] {
  return [kernels.dispatch(metricsModule, 'activeLengthsForward', [b.activeLengths, b.ring, b.mask, b.uniform], [1, 1, 1], 0)];
}

/** Elements each gradNormPartial thread sums; one workgroup covers WG_REDUCE times this. */
export const GRAD_NORM_PER_THREAD = 16;

export function gradNormPartialCount(P: number): number {
  return ceilDiv(P, WG_REDUCE * GRAD_NORM_PER_THREAD);
}

/** Writes train, selected and entropy means, loss standard deviation, threshold and kept count into ring slot `slot` (from the uniform). */
export function lossStatistics(
  kernels: KernelCache,
  b: { ring: BufferSlice; losses: BufferSlice; entropies: BufferSlice; mask: BufferSlice; selectStats: BufferSlice; uniform: GPUBuffer },
  dims: { M: number },
): Dispatch[] {
  return [
    kernels.dispatch(metricsModule, 'lossStatistics', [b.ring, b.losses, b.entropies, b.mask, b.selectStats, b.uniform], [1, 1, 1], 6 * dims.M),
  ];
}

/** Overwrites normStats (norm, clip scale) and the ring slot's gradNorm and clipScale. */
export function gradNorm(
  kernels: KernelCache,
  b: { normStats: BufferSlice; partials: BufferSlice; ring: BufferSlice; grads: BufferSlice; uniform: GPUBuffer },
  dims: { P: number },
): Dispatch[] {
  const partialCount = gradNormPartialCount(dims.P);
  return [
    kernels.dispatch(metricsModule, 'gradNormPartial', [b.partials, b.grads, b.uniform], [partialCount, 1, 1], 2 * dims.P),
    kernels.dispatch(metricsModule, 'gradNormFinal', [b.normStats, b.ring, b.partials, b.uniform], [1, 1, 1], partialCount + 1),
  ];
}
