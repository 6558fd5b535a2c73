// Host side of shaders/matmul.wgsl: the linear layer out = inp·Wᵀ + b and its backward,
// all as one general multiply with transpose and accumulate flags.
import source from '../../../shaders/matmul.wgsl?raw';
import { perActiveRow, type BufferSlice, type Dispatch, type KernelCache, type KernelModule } from '../kernel.ts';
import { UniformLayout } from '../uniforms.ts';
import { ceilDiv, MATMUL_BLOCK, WG_MATMUL } from '../workgroups.ts';

/**
 * skipT: positions per sequence when the rows of A (the output's with TRANS_A unset, the
 * reduction's with TRANS_A set) are B·T token positions and rows at or after a
 * sequence's active length are skipped; 0 processes every row.
 */
export const MatmulSizes = new UniformLayout('MatmulSizes', [['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['skipT', 'u32']] as const, { skipT: 0 });

export const matmulModule: KernelModule = { name: 'matmul', source, uniforms: [MatmulSizes] };

export interface GemmOptions {
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
  bias?: BufferSlice;
  label?: string;
  /**
   * MatmulSizes rewritten each step, for a product whose M or K is the kept count; the
   * dispatch is sized by `dims`, the largest shape.
   */
  uniform?: GPUBuffer;
  /** Active length of each sequence, with the positions per sequence: rows past it are skipped. */
  activeRows?: ActiveRows;
}

/** Per-sequence active lengths (B) and T, for kernels that skip rows after a sequence's last kept token. */
export interface ActiveRows {
  lengths: BufferSlice;
  T: number;
}

/** out (M,N) = op(A)·op(B) [+ bias] [+ out]; see shaders/matmul.wgsl for the layouts. */
export function gemm(
  kernels: KernelCache,
  out: BufferSlice,
  a: BufferSlice,
  b: BufferSlice,
  dims: { M: number; N: number; K: number },
  options: GemmOptions,
): Dispatch {
  const uniform = options.uniform ?? kernels.uniform('matmul', MatmulSizes.pack({ ...dims, skipT: options.activeRows?.T ?? 0 }));
  const tile = WG_MATMUL * MATMUL_BLOCK;
  const workgroups: [number, number, number] = [ceilDiv(dims.N, tile), ceilDiv(dims.M, tile), 1];
  const extra = (options.bias ? 1 : 0) + (options.accumulate ? 1 : 0);
  const flops = 2 * dims.M * dims.N * dims.K + extra * dims.M * dims.N;
  // Without a bias, binding 3 still needs a buffer, so `a` is bound there and never read.
  const lengths = options.activeRows?.lengths ?? kernels.placeholder;
  return kernels.dispatch(matmulModule, 'matmul', [out, a, b, options.bias ?? a, uniform, lengths], workgroups, flops, {
    constants: {
      TRANS_A: options.transA ? 1 : 0,
      TRANS_B: options.transB ? 1 : 0,
      HAS_BIAS: options.bias ? 1 : 0,
      ACCUMULATE: options.accumulate ? 1 : 0,
    },
    labelSuffix: options.label,
  });
}

/** out (N,OC) = inp (N,C) · weight (OC,C)ᵀ + bias (OC); overwrites out. */
export function matmulForward(
  kernels: KernelCache,
  b: { out: BufferSlice; inp: BufferSlice; weight: BufferSlice; bias: BufferSlice | null },
  dims: { N: number; C: number; OC: number },
  label?: string,
): Dispatch[] {
  return [
    gemm(kernels, b.out, b.inp, b.weight, { M: dims.N, N: dims.OC, K: dims.C }, {
      transA: false, transB: true, accumulate: false, bias: b.bias ?? undefined, label,
    }),
  ];
}

/**
 * Accumulates dinp += dout·W, dweight += doutᵀ·inp and dbias += Σ_rows dout.
 * dinp may be null when the input needs no gradient. With `activeRows`, rows after each
 * sequence's active length are skipped: their dout must be zero, so the result is the
 * same, and their FLOPs move to flopsPerActiveRow.
 */
export function matmulBackward(
  kernels: KernelCache,
  b: {
    dinp: BufferSlice | null; dweight: BufferSlice; dbias: BufferSlice | null;
    dout: BufferSlice; inp: BufferSlice; weight: BufferSlice;
  },
  dims: { N: number; C: number; OC: number },
  label?: string,
  activeRows?: ActiveRows,
): Dispatch[] {
  const dispatches: Dispatch[] = [];
  if (b.dinp) {
    dispatches.push(gemm(kernels, b.dinp, b.dout, b.weight, { M: dims.N, N: dims.C, K: dims.OC }, {
      transA: false, transB: false, accumulate: true, label: label && `${label}.dinp`, activeRows,
    }));
  }
  dispatches.push(gemm(kernels, b.dweight, b.dout, b.inp, { M: dims.OC, N: dims.C, K: dims.N }, {
    transA: true, transB: false, accumulate: true, label: label && `${label}.dweight`, activeRows,
  }));
  if (b.dbias) dispatches.push(matmulBackwardBias(kernels, b.dbias, b.dout, { N: dims.N, OC: dims.OC }, label, undefined, activeRows));
  if (!activeRows) return dispatches;
  // Every FLOP but the accumulate's OC·C (dweight) scales with the active rows.
  return dispatches.map((d) => perActiveRow(d, dims.N, d.label.endsWith('.dweight') ? dims.OC * dims.C : 0));
}

/**
 * dbias (OC) += Σ_rows dout (N,OC). Pass `uniform` (MatmulSizes with M = rows, N = OC)
 * to set the row count per step.
 */
export function matmulBackwardBias(
  kernels: KernelCache,
  dbias: BufferSlice,
  dout: BufferSlice,
  dims: { N: number; OC: number },
  label?: string,
  uniform?: GPUBuffer,
  activeRows?: ActiveRows,
): Dispatch {
  const sizes = uniform ?? kernels.uniform('matmulBias', MatmulSizes.pack({ M: dims.N, N: dims.OC, K: 0, skipT: activeRows?.T ?? 0 }));
  return kernels.dispatch(
    matmulModule, 'matmulBackwardBias', [dbias, dout, sizes, activeRows?.lengths ?? kernels.placeholder],
    [ceilDiv(dims.OC, WG_MATMUL * WG_MATMUL), 1, 1], dims.N * dims.OC, { labelSuffix: label },
  );
}
