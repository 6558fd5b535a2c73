// Measured matrix-multiply speed of this adapter, shown in the device panel. Times the
// training engine's own gemm kernel, so the figure predicts step times.

import { createStorage, wholeSlice } from './buffers.ts';
import { encodeDispatches, KernelCache } from './kernel.ts';
import { gemm } from './ops/matmul.ts';

export interface MatmulBenchmark {
  /** Square size: an (N,N)·(N,N) product. */
  size: number;
  /** Timed repetitions after the warm-up. */
  repetitions: number;
  /** Median wall-clock milliseconds of one submit-and-wait, GPU queue included. */
  medianMs: number;
  /** 2·N³ FLOPs over the median time, in GFLOP/s. */
  gflops: number;
}

/**
 * Times `out = A·Bᵀ` on (size × size) matrices: `warmup` untimed runs (pipeline
 * compilation), then `repetitions` timed ones, each a submit followed by
 * onSubmittedWorkDone. The median hides one-off stalls. Per-submit overhead is
 * included, so small sizes understate the kernel's peak speed.
 */
export async function benchmarkMatmul(
  device: GPUDevice,
  options: { size?: number; warmup?: number; repetitions?: number } = {},
): Promise<MatmulBenchmark> {
  const size = options.size ?? 256;
  const warmup = options.warmup ?? 2;
  const repetitions = options.repetitions ?? 5;
  const kernels = new KernelCache(device);
  const bytes = size * size * 4;
  const a = createStorage(device, 'benchmark.a', bytes);
  const b = createStorage(device, 'benchmark.b', bytes);
  const out = createStorage(device, 'benchmark.out', bytes);
  try {
    const dispatch = gemm(kernels, wholeSlice(out), wholeSlice(a), wholeSlice(b), { M: size, N: size, K: size }, {
      transA: false, transB: true, accumulate: false, label: 'benchmark',
    });
    const runOnce = async (): Promise<number> => {
      const start = performance.now();
      const encoder = device.createCommandEncoder({ label: 'benchmark.matmul' });
      encodeDispatches(encoder, [dispatch], 'benchmark.matmul');
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - start;
    };

    for (let i = 0; i < warmup; i++) await runOnce();
    const times: number[] = [];
    for (let i = 0; i < repetitions; i++) times.push(await runOnce());
    times.sort((x, y) => x - y);
    const medianMs = times[Math.floor(times.length / 2)]!;
    return { size, repetitions, medianMs, gflops: dispatch.flops / (medianMs * 1e6) };
  } finally {
    a.destroy();
    b.destroy();
    out.destroy();
    kernels.destroy();
  }
}
