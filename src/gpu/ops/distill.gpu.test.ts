// The distillation kernels against the float64 CPU reference, on a real WebGPU device,
// chained as in a training step: crossentropyForward writes rowStats, distillForward
// writes kl and distillStats, and distillBackward overwrites the student logits.
//
// Tolerances: float32 rounds each operation to about 6e-8 relative, and the rounding
// error of a sum of V terms grows like √V in practice. The statistics and kl therefore
// get atol = rtol = 5e-7·√V (4.1e-6 at V = 67, 1.1e-4 at V = 50,257). kl is a
// difference of O(1) log-sums, so its error is absolute. Each gradient element is
// (1/k)·(a difference of probabilities), and each probability carries the relative
// error of the log-sum it was rebuilt from, so dlogits gets the same rtol, with a
// small atol for differences of nearly equal values. With this file's seeds on
// SwiftShader, the largest error was 6% of the tolerance for kl and the statistics and
// 13% for dlogits.

import { describe, expect, test } from 'vitest';
import { randomFloat32Values, randomTokens, Rng } from '../../data/rng.ts';
import * as ref from '../../reference/index.ts';
import {
  expectClose, readF32, runChecked, testDevice, testKernels, uploadF32, uploadI32, uploadU32, zerosF32, type Tolerance,
} from '../testing.ts';
import { crossentropyForward } from './crossentropy.ts';
import { distillBackward, distillForward, DistillSizes } from './distill.ts';

/** Mask with exactly k of M rows kept (k ≤ M), spread over the batch. */
function spreadMask(M: number, k: number): Uint32Array {
  const mask = new Uint32Array(M);
  for (let i = 0; i < k; i++) mask[Math.floor((i * M) / k)] = 1;
  return mask;
}

/** Float64 twin of distillStats (M,4): per row max(x/τ) and log Σ exp(x/τ − max) of both logits. */
function referenceDistillStats(logits: Float64Array, teacherLogits: Float64Array, M: number, V: number, temperature: number): Float64Array {
  const stats = new Float64Array(4 * M);
  for (let j = 0; j < M; j++) {
    [logits, teacherLogits].forEach((values, side) => {
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, values[j * V + v] / temperature);
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(values[j * V + v] / temperature - max);
      stats[4 * j + 2 * side] = max;
      stats[4 * j + 2 * side + 1] = Math.log(sum);
    });
  }
  return stats;
}

function reductionTolerance(V: number): Tolerance {
  const bound = 5e-7 * Math.sqrt(V);
  return { atol: bound, rtol: bound };
}

function gradientTolerance(V: number): Tolerance {
  return { atol: 1e-7, rtol: 5e-7 * Math.sqrt(V) };
}

interface Problem {
  M: number;
  V: number;
  k: number;
  logits: Float64Array;
  teacherLogits: Float64Array;
  targets: Int32Array;
  mask: Uint32Array;
}

function makeProblem(M: number, V: number, k: number, seed: number): Problem {
  const rng = new Rng(seed);
  const logits = randomFloat32Values(rng, M * V, 3);
  const teacherLogits = randomFloat32Values(rng, M * V, 3);
  // Correlate the teacher with the student, as a trained teacher would be.
  for (let i = 0; i < M * V; i++) teacherLogits[i] = Math.fround(0.5 * teacherLogits[i] + logits[i]);
  return { M, V, k, logits, teacherLogits, targets: randomTokens(rng, M, V), mask: spreadMask(M, k) };
}

/** Runs crossentropyForward, distillForward and distillBackward, and returns what they wrote. */
async function runDistill(problem: Problem, temperature: number, lambda: number, uniformSizes?: ArrayBuffer) {
  const { device } = await testDevice();
  const kernels = await testKernels();
  const { M, V, k } = problem;
  const b = {
    losses: zerosF32(device, 'losses', M), entropies: zerosF32(device, 'entropies', M),
    rowStats: zerosF32(device, 'rowStats', 2 * M), kl: zerosF32(device, 'kl', M),
    distillStats: zerosF32(device, 'distillStats', 4 * M),
    logits: uploadF32(device, 'logits', problem.logits), teacherLogits: uploadF32(device, 'teacherLogits', problem.teacherLogits),
    targets: uploadI32(device, 'targets', problem.targets), mask: uploadU32(device, 'mask', problem.mask),
  };
  const uniform = uniformSizes ? kernels.uniform('distillBackward.test', uniformSizes) : undefined;
  await runChecked(device, [
    ...crossentropyForward(kernels, b, { M, V }),
    ...distillForward(kernels, b, { M, V, temperature }),
    ...distillBackward(kernels, { ...b, dlogits: b.logits }, { M, V, k, lambda, temperature }, uniform),
  ]);
  return {
    kl: await readF32(device, b.kl, M),
    distillStats: await readF32(device, b.distillStats, 4 * M),
    dlogits: await readF32(device, b.logits, M * V),
  };
}

const SHAPES = [
  { M: 9, V: 67, k: 4 },
  { M: 130, V: 300, k: 97 },
  { M: 3, V: 50257, k: 2 },
];
const CASES = SHAPES.flatMap((shape) =>
  [1, 2].flatMap((temperature) => [0, 0.5, 1].map((lambda) => ({ ...shape, temperature, lambda }))),
);

describe('distill', () => {
  test.each(CASES)(
    'forward and backward match reference M=$M V=$V k=$k τ=$temperature λ=$lambda',
    async ({ M, V, k, temperature, lambda }) => {
      const problem = makeProblem(M, V, k, M * V + 17 * temperature);
      expect(problem.mask.reduce((a, v) => a + v, 0), 'mask sum').toBe(k);
      expect(k, 'kept count').toBeLessThan(M);

      const gpu = await runDistill(problem, temperature, lambda);

      const kl = new Float64Array(M);
      ref.distillForward(kl, problem.logits, problem.teacherLogits, { M, V, temperature });
      const dlogits = new Float64Array(M * V);
      ref.distillBackward(dlogits, problem.logits, problem.teacherLogits, problem.targets, problem.mask, k, {
        M, V, temperature, lambda,
      });
      const stats = referenceDistillStats(problem.logits, problem.teacherLogits, M, V, temperature);
      expectClose('distill kl', gpu.kl, kl, reductionTolerance(V));
      expectClose('distill distillStats', gpu.distillStats, stats, reductionTolerance(V));
      expectClose('distill dlogits', gpu.dlogits, dlogits, gradientTolerance(V));
    },
  );

  test('kl is 0 for an identical teacher', async () => {
    const problem = makeProblem(9, 67, 4, 5);
    problem.teacherLogits = Float64Array.from(problem.logits);

    const gpu = await runDistill(problem, 2, 0.5);

    for (let j = 0; j < problem.M; j++) expect(gpu.kl[j], `kl[${j}]`).toBe(0);
  });

  test('backward reads sizes from a caller uniform', async () => {
    // The caller's buffer sets k = 2, λ = 0.25 and τ = 2, which differ from the dims passed along.
    const problem = makeProblem(9, 67, 4, 6);
    const { M, V } = problem;
    const sizes = DistillSizes.pack({ M, V, invKept: 1 / 2, lambda: 0.25, temperature: 2, invTemperature: 1 / 2 });

    const gpu = await runDistill(problem, 2, 1, sizes);

    const dlogits = new Float64Array(M * V);
    ref.distillBackward(dlogits, problem.logits, problem.teacherLogits, problem.targets, problem.mask, 2, {
      M, V, temperature: 2, lambda: 0.25,
    });
    expectClose('distill dlogits', gpu.dlogits, dlogits, gradientTolerance(V));
  });
});
