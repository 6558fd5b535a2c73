// Workgroup sizes, set once here and passed to WGSL as `override` constants, and the
// one helper that turns an element count into a dispatch count.

/** Threads per workgroup of one-dimensional kernels (elementwise, per-row, per-column). */
export const WG_1D = 64;
/** Threads of the single-workgroup reduction and selection kernels. */
export const WG_REDUCE = 256;
/** Matmul: WG_MATMUL × WG_MATMUL threads, each computing a MATMUL_BLOCK² output block. */
export const WG_MATMUL = 8;
/** Fixed by the four vec4 accumulators in shaders/matmul.wgsl. */
export const MATMUL_BLOCK = 4;
/** WebGPU's guaranteed maxComputeWorkgroupsPerDimension. */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

export function ceilDiv(n: number, d: number): number {
  return Math.ceil(n / d);
}

/** Split a 1-D workgroup count over x and y when it exceeds the per-dimension limit. */
export function grid1d(elements: number, workgroupSize: number): [number, number, number] {
  const groups = ceilDiv(elements, workgroupSize);
  if (groups <= MAX_WORKGROUPS_PER_DIMENSION) return [Math.max(groups, 1), 1, 1];
  const y = ceilDiv(groups, MAX_WORKGROUPS_PER_DIMENSION);
  return [MAX_WORKGROUPS_PER_DIMENSION, y, 1];
}

/** Return a grid of one workgroup per row, split over x and y when rows exceed the per-dimension limit. */
export function rowGrid(rows: number): [number, number, number] {
  if (rows <= MAX_WORKGROUPS_PER_DIMENSION) return [rows, 1, 1];
  return [MAX_WORKGROUPS_PER_DIMENSION, Math.ceil(rows / MAX_WORKGROUPS_PER_DIMENSION), 1];
}
