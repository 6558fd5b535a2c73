// Every WGSL kernel against the float64 CPU reference, on a real WebGPU device, with
// shapes that are not multiples of the workgroup or tile sizes.
//
// Tolerances: kernels compute in float32, so results agree with float64 to about 1e-6
// relative per operation; sums over K terms can grow that by about √K. Each test's
// tolerance is a few times that for its longest reduction.

import { describe, expect, test } from 'vitest';
import { randomFloat32Values, randomTokens, Rng } from '../../data/rng.ts';
import * as ref from '../../reference/index.ts';
import {
  expectClose, readF32, readU32, runChecked, testDevice, testKernels, uploadF32, uploadI32, uploadU32, zerosF32,
} from '../testing.ts';
import { adamwUpdate, AdamwParams } from './adamw.ts';
import { attentionBackward, attentionForward } from './attention.ts';
import { crossentropyBackward, crossentropyBackwardKept, crossentropyForward, CrossentropySizes } from './crossentropy.ts';
import { gatherRows, gatherRowsU32, rowMeans, RowSizes, scatterRows } from './rows.ts';
import { differenceForward, geluBackward, geluForward, residualBackward, residualForward } from './elementwise.ts';
import { encoderBackward, encoderForward } from './encoder.ts';
import { layernormBackward, layernormForward } from './layernorm.ts';
import { matmulBackward, matmulForward } from './matmul.ts';
import { gradNorm, GradNormSizes, gradNormPartialCount, lossStatistics, LossStatisticsSizes, METRIC_FIELDS, METRIC_STRIDE } from './metrics.ts';
import { SELECT_STATS, selectTopK } from './select.ts';

const TIGHT = { atol: 1e-5, rtol: 1e-4 };

describe('encoder', () => {
  test('forward and backward match reference', async () => {
    const { device } = await testDevice();
    const kernels = await testKernels();
    const rng = new Rng(1);
    const B = 3, T = 5, C = 7, V = 11, maxT = 6;
    const inp = randomTokens(rng, B * T, V);
    inp[0] = inp[4] = inp[9] = 2; // repeated tokens exercise the ordered accumulation
    const wte = randomFloat32Values(rng, V * C);
    const wpe = randomFloat32Values(rng, maxT * C);
    const dout = randomFloat32Values(rng, B * T * C);

    const out = zerosF32(device, 'out', B * T * C);
    const dwteInit = randomFloat32Values(rng, V * C);
    const dwpeInit = randomFloat32Values(rng, maxT * C);
    const dwte = uploadF32(device, 'dwte', dwteInit);
    const dwpe = uploadF32(device, 'dwpe', dwpeInit);
    const inpBuf = uploadI32(device, 'inp', inp);
    const doutBuf = uploadF32(device, 'dout', dout);
    await runChecked(device, [
      ...encoderForward(kernels, { out, inp: inpBuf, wte: uploadF32(device, 'wte', wte), wpe: uploadF32(device, 'wpe', wpe) }, { B, T, C, V }),
      ...encoderBackward(kernels, { dwte, dwpe, dout: doutBuf, inp: inpBuf }, { B, T, C, V }),
    ]);

    const refOut = new Float64Array(B * T * C);
    ref.encoderForward(refOut, inp, wte, wpe, { B, T, C });
    const refDwte = Float64Array.from(dwteInit);
    const refDwpe = Float64Array.from(dwpeInit);
    ref.encoderBackward(refDwte, refDwpe, dout, inp, { B, T, C });
    expectClose('encoder out', await readF32(device, out, B * T * C), refOut, TIGHT);
    expectClose('encoder dwte', await readF32(device, dwte, V * C), refDwte, TIGHT);
    expectClose('encoder dwpe', await readF32(device, dwpe, maxT * C), refDwpe, TIGHT);
  });
});

describe('layernorm', () => {
  test.each([
    { N: 70, C: 23 },
    { N: 5, C: 64 },
  ])('forward and backward match reference N=$N C=$C', async ({ N, C }) => {
    const { device } = await testDevice();
    const kernels = await testKernels();
    const rng = new Rng(N * 100 + C);
    const inp = randomFloat32Values(rng, N * C, 2);
    const weight = randomFloat32Values(rng, C);
    const bias = randomFloat32Values(rng, C);
    const dout = randomFloat32Values(rng, N * C);
    const dinpInit = randomFloat32Values(rng, N * C);
    const dweightInit = randomFloat32Values(rng, C);
    const dbiasInit = randomFloat32Values(rng, C);

    const b = {
      out: zerosF32(device, 'out', N * C), mean: zerosF32(device, 'mean', N), rstd: zerosF32(device, 'rstd', N),
      inp: uploadF32(device, 'inp', inp), weight: uploadF32(device, 'weight', weight), bias: uploadF32(device, 'bias', bias),
      dinp: uploadF32(device, 'dinp', dinpInit), dweight: uploadF32(device, 'dweight', dweightInit),
      dbias: uploadF32(device, 'dbias', dbiasInit), dout: uploadF32(device, 'dout', dout),
    };
    await runChecked(device, [...layernormForward(kernels, b, { N, C }), ...layernormBackward(kernels, b, { N, C })]);

    const out = new Float64Array(N * C), mean = new Float64Array(N), rstd = new Float64Array(N);
    ref.layernormForward(out, mean, rstd, inp, weight, bias, { N, C });
    const dinp = Float64Array.from(dinpInit), dweight = Float64Array.from(dweightInit), dbias = Float64Array.from(dbiasInit);
    ref.layernormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, { N, C });
    expectClose('layernorm out', await readF32(device, b.out, N * C), out, TIGHT);
    expectClose('layernorm mean', await readF32(device, b.mean, N), mean, TIGHT);
    expectClose('layernorm rstd', await readF32(device, b.rstd, N), rstd, TIGHT);
    expectClose('layernorm dinp', await readF32(device, b.dinp, N * C), dinp, TIGHT);
    expectClose('layernorm dweight', await readF32(device, b.dweight, C), dweight, { atol: 1e-4, rtol: 1e-4 });
    expectClose('layernorm dbias', await readF32(device, b.dbias, C), dbias, { atol: 1e-4, rtol: 1e-4 });
  });
});

describe('matmul', () => {
  test.each([
    { N: 37, C: 19, OC: 45, bias: true },
    { N: 64, C: 32, OC: 96, bias: true },
    { N: 3, C: 70, OC: 5, bias: false },
    { N: 33, C: 1, OC: 33, bias: true },
  ])('forward and backward match reference N=$N C=$C OC=$OC bias=$bias', async ({ N, C, OC, bias }) => {
    const { device } = await testDevice();
    const kernels = await testKernels();
    const rng = new Rng(N + 7 * C + 31 * OC);
    const inp = randomFloat32Values(rng, N * C);
    const weight = randomFloat32Values(rng, OC * C);
    const biasValues = randomFloat32Values(rng, OC);
    const dout = randomFloat32Values(rng, N * OC);
    const dinpInit = randomFloat32Values(rng, N * C);
    const dweightInit = randomFloat32Values(rng, OC * C);
    const dbiasInit = randomFloat32Values(rng, OC);

    const b = {
      out: zerosF32(device, 'out', N * OC), inp: uploadF32(device, 'inp', inp), weight: uploadF32(device, 'weight', weight),
      bias: bias ? uploadF32(device, 'bias', biasValues) : null,
      dinp: uploadF32(device, 'dinp', dinpInit), dweight: uploadF32(device, 'dweight', dweightInit),
      dbias: bias ? uploadF32(device, 'dbias', dbiasInit) : null, dout: uploadF32(device, 'dout', dout),
    };
    await runChecked(device, [...matmulForward(kernels, b, { N, C, OC }), ...matmulBackward(kernels, b, { N, C, OC })]);

    const out = new Float64Array(N * OC);
    ref.matmulForward(out, inp, weight, bias ? biasValues : null, { N, C, OC });
    const dinp = Float64Array.from(dinpInit), dweight = Float64Array.from(dweightInit), dbias = Float64Array.from(dbiasInit);
    ref.matmulBackward(dinp, dweight, bias ? dbias : null, dout, inp, weight, { N, C, OC });
    const tol = { atol: 1e-4, rtol: 1e-4 };
    expectClose('matmul out', await readF32(device, b.out, N * OC), out, tol);
    expectClose('matmul dinp', await readF32(device, b.dinp, N * C), dinp, tol);
    expectClose('matmul dweight', await readF32(device, b.dweight, OC * C), dweight, tol);
    if (b.dbias) expectClose('matmul dbias', await readF32(device, b.dbias, OC), dbias, tol);
  });
});

describe('elementwise', () => {
  test('gelu and residual match reference', async () => {
    const { device } = await testDevice();
    const kernels = await testKernels();
    const rng = new Rng(5);
    const N = 1000;
    const x = randomFloat32Values(rng, N, 3);
    const y = randomFloat32Values(rng, N);
    const dout = randomFloat32Values(rng, N);
    const dinpInit = randomFloat32Values(rng, N);
    const d2Init = randomFloat32Values(rng, N);
    const b = {
      out: zerosF32(device, 'gelu', N), sum: zerosF32(device, 'sum', N), x: uploadF32(device, 'x', x), y: uploadF32(device, 'y', y),
      dout: uploadF32(device, 'dout', dout), dinp: uploadF32(device, 'dinp', dinpInit),
      dinp1: uploadF32(device, 'dinp1', dinpInit), dinp2: uploadF32(device, 'dinp2', d2Init),
      diff: zerosF32(device, 'diff', N),
    };
    await runChecked(device, [
      ...geluForward(kernels, { out: b.out, inp: b.x }, { N }),
      ...geluBackward(kernels, { dinp: b.dinp, inp: b.x, dout: b.dout }, { N }),
      ...residualForward(kernels, { out: b.sum, inp1: b.x, inp2: b.y }, { N }),
      ...residualBackward(kernels, { dinp1: b.dinp1, dinp2: b.dinp2, dout: b.dout }, { N }),
      ...differenceForward(kernels, { out: b.diff, inp1: b.x, inp2: b.y }, { N }),
    ]);
    const gelu = new Float64Array(N);
    ref.geluForward(gelu, x, { N });
    const dgelu = Float64Array.from(dinpInit);
    ref.geluBackward(dgelu, x, dout, { N });
    const sum = new Float64Array(N);
    ref.residualForward(sum, x, y, { N });
    const d1 = Float64Array.from(dinpInit), d2 = Float64Array.from(d2Init);
    ref.residualBackward(d1, d2, dout, { N });
    expectClose('gelu out', await readF32(device, b.out, N), gelu, TIGHT);
    expectClose('gelu dinp', await readF32(device, b.dinp, N), dgelu, TIGHT);
    expectClose('residual out', await readF32(device, b.sum, N), sum, TIGHT);
    expectClose('residual dinp1', await readF32(device, b.dinp1, N), d1, TIGHT);
    expectClose('residual dinp2', await readF32(device, b.dinp2, N), d2, TIGHT);
    const diff = new Float64Array(N);
    ref.differenceForward(diff, x, y, { N });
    expectClose('difference out', await readF32(device, b.diff, N), diff, TIGHT);
  });
});

describe('attention', () => {
  test.each([
    { B: 2, T: 5, C: 12, NH: 3 },
    { B: 3, T: 33, C: 16, NH: 2 },
  ])('forward and backward match reference B=$B T=$T C=$C NH=$NH', async ({ B, T, C, NH }) => {
    const { device } = await testDevice();
    const kernels = await testKernels();
    const rng = new Rng(B * 1000 + T);
    const inp = randomFloat32Values(rng, B * T * 3 * C);
    const dout = randomFloat32Values(rng, B * T * C);
    const dinpInit = randomFloat32Values(rng, B * T * 3 * C);
    const b = {
      out: zerosF32(device, 'out', B * T * C), att: zerosF32(device, 'att', B * NH * T * T),
      dpreatt: zerosF32(device, 'dpreatt', B * NH * T * T), inp: uploadF32(device, 'inp', inp),
      dinp: uploadF32(device, 'dinp', dinpInit), dout: uploadF32(device, 'dout', dout),
    };
    await runChecked(device, [...attentionForward(kernels, b, { B, T, C, NH }), ...attentionBackward(kernels, b, { B, T, C, NH })]);

    const out = new Float64Array(B * T * C);
    const preatt = new Float64Array(B * NH * T * T);
    const att = new Float64Array(B * NH * T * T);
    ref.attentionForward(out, preatt, att, inp, { B, T, C, NH });
    const dinp = Float64Array.from(dinpInit);
    ref.attentionBackward(dinp, new Float64Array(B * NH * T * T), new Float64Array(B * NH * T * T), dout, inp, att, { B, T, C, NH });
    expectClose('attention out', await readF32(device, b.out, B * T * C), out, TIGHT);
    expectClose('attention att', await readF32(device, b.att, B * NH * T * T), att, TIGHT);
    expectClose('attention dinp', await readF32(device, b.dinp, B * T * 3 * C), dinp, { atol: 1e-4, rtol: 1e-4 });
  });
});

describe('crossentropy', () => {
  test.each([
    { M: 9, V: 67, k: 4 },
    { M: 130, V: 300, k: 130 },
  ])('forward and masked backward match reference M=$M V=$V k=$k', async ({ M, V, k }) => {
    const { device } = await testDevice();
    const kernels = await testKernels();
    const rng = new Rng(M * V);
    const logits = randomFloat32Values(rng, M * V, 3);
    const targets = randomTokens(rng, M, V);
    const mask = new Uint32Array(M);
    for (let i = 0; i < k; i++) mask[(i * 7) % M] = 1;
    const kept = mask.reduce((a, v) => a + v, 0);

    const b = {
      losses: zerosF32(device, 'losses', M), entropies: zerosF32(device, 'entropies', M), rowStats: zerosF32(device, 'rowStats', 2 * M),
      logits: uploadF32(device, 'logits', logits), targets: uploadI32(device, 'targets', targets), mask: uploadU32(device, 'mask', mask),
    };
    await runChecked(device, [
      ...crossentropyForward(kernels, b, { M, V }),
      ...crossentropyBackward(kernels, { dlogits: b.logits, rowStats: b.rowStats, targets: b.targets, mask: b.mask }, { M, V, k: kept }),
    ]);

    const losses = new Float64Array(M), entropies = new Float64Array(M), probs = new Float64Array(M * V);
    ref.crossentropyForward(losses, entropies, probs, logits, targets, { M, V });
    const dlogits = new Float64Array(M * V);
    ref.crossentropyBackward(dlogits, probs, targets, mask, kept, { M, V });
    expectClose('crossentropy losses', await readF32(device, b.losses, M), losses, TIGHT);
    expectClose('crossentropy entropies', await readF32(device, b.entropies, M), entropies, TIGHT);
    expectClose('crossentropy dlogits', await readF32(device, b.logits, M * V), dlogits, { atol: 1e-6, rtol: 1e-4 });
  });
});

describe('kept rows', () => {
  test('gatherRows, scatterRows and crossentropyBackwardKept match reference', async () => {
    const { device } = await testDevice();
    const kernels = await testKernels();
    const rng = new Rng(21);
    const M = 70, C = 9, V = 41;
    const mask = new Uint32Array(M);
    const keptIndices: number[] = [];
    for (let i = 0; i < M; i++) if (i % 3 !== 1) { mask[i] = 1; keptIndices.push(i); }
    const k = keptIndices.length;
    const inp = randomFloat32Values(rng, M * C);
    const logits = randomFloat32Values(rng, M * V, 2);
    const targets = randomTokens(rng, M, V);

    const rowsUniform = kernels.uniform('rows', RowSizes.pack({ rows: k, C }));
    const keptUniform = kernels.uniform('keptCe', CrossentropySizes.pack({ M: k, V, invKept: 1 / k }));
    const b = {
      inp: uploadF32(device, 'inp', inp), gathered: zerosF32(device, 'gathered', M * C), scattered: zerosF32(device, 'scattered', M * C),
      indices: uploadU32(device, 'indices', keptIndices), logits: uploadF32(device, 'logits', logits), targets: uploadI32(device, 'targets', targets),
      losses: zerosF32(device, 'losses', M), entropies: zerosF32(device, 'entropies', M), rowStats: zerosF32(device, 'rowStats', 2 * M),
      dlogitsKept: zerosF32(device, 'dlogitsKept', M * V),
    };
    await runChecked(device, [
      ...gatherRows(kernels, { out: b.gathered, inp: b.inp, indices: b.indices }, { maxRows: M, C }, rowsUniform),
      ...scatterRows(kernels, { out: b.scattered, inp: b.gathered, indices: b.indices }, { maxRows: M, C }, rowsUniform),
      ...crossentropyForward(kernels, { losses: b.losses, entropies: b.entropies, rowStats: b.rowStats, logits: b.logits, targets: b.targets }, { M, V }),
      ...crossentropyBackwardKept(kernels, {
        dlogitsKept: b.dlogitsKept, logits: b.logits, rowStats: b.rowStats, targets: b.targets, keptIndices: b.indices,
      }, { maxKept: M, V }, keptUniform),
    ]);

    const gathered = new Float64Array(M * C);
    ref.gatherRows(gathered, inp, keptIndices, { rows: k, C });
    const scattered = new Float64Array(M * C);
    ref.scatterRows(scattered, gathered, keptIndices, { rows: k, C });
    expectClose('gathered rows', await readF32(device, b.gathered, M * C), gathered, { atol: 0, rtol: 0 });
    expectClose('scattered rows', await readF32(device, b.scattered, M * C), scattered, { atol: 0, rtol: 0 });

    const probs = new Float64Array(M * V);
    ref.crossentropyForward(new Float64Array(M), new Float64Array(M), probs, logits, targets, { M, V });
    const dense = new Float64Array(M * V);
    ref.crossentropyBackward(dense, probs, targets, mask, k, { M, V });
    const compact = new Float64Array(k * V);
    ref.gatherRows(compact, dense, keptIndices, { rows: k, C: V });
    expectClose('kept dlogits', await readF32(device, b.dlogitsKept, k * V), compact, { atol: 1e-6, rtol: 1e-4 });
  });

  test('gatherRowsU32 and rowMeans match reference', async () => {
    const { device } = await testDevice();
    const kernels = await testKernels();
    const rng = new Rng(23);
    const rows = 9, T = 13;
    const tokens = Int32Array.from({ length: rows * T }, () => rng.int(50257));
    tokens[0] = 1; // small ids are f32 denormals as bit patterns: they must survive the copy
    const indices = [0, 3, 4, 8];
    const values = randomFloat32Values(rng, rows * T);
    const uniform = kernels.uniform('rowsU32', RowSizes.pack({ rows: indices.length, C: T }));
    const b = {
      tokens: uploadI32(device, 'tokens', tokens), gathered: zerosF32(device, 'gathered', rows * T), indices: uploadU32(device, 'indices', indices),
      values: uploadF32(device, 'values', values), means: zerosF32(device, 'means', rows),
    };
    await runChecked(device, [
      ...gatherRowsU32(kernels, { out: b.gathered, inp: b.tokens, indices: b.indices }, { maxRows: rows, C: T }, uniform),
      ...rowMeans(kernels, { means: b.means, values: b.values }, { rows, C: T }),
    ]);
    const gathered = new Int32Array((await readU32(device, b.gathered, indices.length * T)).buffer.slice(0));
    const expected = new Int32Array(indices.length * T);
    indices.forEach((row, r) => expected.set(tokens.subarray(row * T, (row + 1) * T), r * T));
    expect(Array.from(gathered.subarray(0, indices.length * T))).toEqual(Array.from(expected));
    const means = new Float64Array(rows);
    ref.rowMeans(means, values, { rows, C: T });
    expectClose('row means', await readF32(device, b.means, rows), means, TIGHT);
  });
});

describe('selectTopK', () => {
  async function runSelect(scores: Float64Array, k: number) {
    const { device } = await testDevice();
    const kernels = await testKernels();
    const M = scores.length;
    const b = {
      mask: zerosF32(device, 'mask', M), keptIndices: zerosF32(device, 'kept', M), selectStats: zerosF32(device, 'stats', 3),
      scores: uploadF32(device, 'scores', scores),
    };
    await runChecked(device, selectTopK(kernels, b, { M, k }));
    return {
      mask: await readU32(device, b.mask, M),
      kept: await readU32(device, b.keptIndices, k),
      stats: await readF32(device, b.selectStats, 3),
    };
  }

  function expectSameSelection(scores: Float64Array, k: number, gpu: Awaited<ReturnType<typeof runSelect>>) {
    const M = scores.length;
    const mask = new Uint32Array(M);
    const kept = new Uint32Array(k);
    const { threshold } = ref.selectTopK(mask, kept, scores, k);
    for (let i = 0; i < M; i++) {
      if (gpu.mask[i] !== mask[i]) throw new Error(`mask differs at ${i}: gpu ${gpu.mask[i]} vs reference ${mask[i]} (score ${scores[i]})`);
    }
    for (let i = 0; i < k; i++) {
      if (gpu.kept[i] !== kept[i]) throw new Error(`keptIndices differ at ${i}: gpu ${gpu.kept[i]} vs reference ${kept[i]}`);
    }
    expect(gpu.stats[SELECT_STATS.threshold]).toBe(threshold);
    expect(gpu.stats[SELECT_STATS.keptCount]).toBe(k);
  }

  test.each([
    { M: 128, alpha: 0.5 },
    { M: 1000, alpha: 0.6 },
    { M: 300, alpha: 0 },
    { M: 7, alpha: 0.9 },
  ])('random scores M=$M alpha=$alpha', async ({ M, alpha }) => {
    const rng = new Rng(M);
    const scores = new Float64Array(M);
    for (let i = 0; i < M; i++) scores[i] = Math.fround(Math.abs(rng.normal()) * 4);
    const k = ref.keptCount(alpha, M);
    expectSameSelection(scores, k, await runSelect(scores, k));
  });

  test('ties keep lowest indices', async () => {
    const M = 600;
    const scores = new Float64Array(M);
    for (let i = 0; i < M; i++) scores[i] = i % 3 === 0 ? 2.5 : i % 3 === 1 ? 1.0 : 0.5;
    scores[17] = 0; // exact zeros and negative zero are the lowest scores
    scores[20] = -0;
    const k = 250; // all 200 scores of 2.5, then the first 50 of the 1.0 ties
    const gpu = await runSelect(scores, k);
    expectSameSelection(scores, k, gpu);
    expect(gpu.stats[SELECT_STATS.threshold]).toBe(1.0);
    expect(gpu.mask[1 + 3 * 49]).toBe(1); // the 50th tie of 1.0 is kept
    expect(gpu.mask[1 + 3 * 50]).toBe(0); // the 51st is not
  });

  test('negative scores order like values', async () => {
    const rng = new Rng(9);
    const M = 333;
    const scores = Float64Array.from({ length: M }, () => Math.fround(rng.normal() * 2));
    scores[5] = -0;
    scores[6] = 0;
    scores[7] = -1e-30;
    const k = ref.keptCount(0.4, M);
    expectSameSelection(scores, k, await runSelect(scores, k));
  });

  test('all equal scores', async () => {
    const scores = new Float64Array(77).fill(3);
    const gpu = await runSelect(scores, 10);
    expectSameSelection(scores, 10, gpu);
    expect(Array.from(gpu.kept)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('optimizer and metrics', () => {
  test('gradNorm, clip and adamwUpdate match reference', async () => {
    const { device } = await testDevice();
    const kernels = await testKernels();
    const rng = new Rng(11);
    const P = 5000;
    const params = randomFloat32Values(rng, P);
    const grads = randomFloat32Values(rng, P, 0.5);
    const m0 = randomFloat32Values(rng, P, 0.01);
    const v0 = Float64Array.from(randomFloat32Values(rng, P, 0.01), (x) => Math.fround(x * x));
    const decayRanges = [[0, 1000], [3000, 4100]];
    const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 3 };
    const maxNorm = 1.0;

    const ring = zerosF32(device, 'ring', 4 * METRIC_STRIDE);
    const normUniform = kernels.uniform('gradNorm', GradNormSizes.pack({
      P, perThread: 16, partialCount: gradNormPartialCount(P), slot: 2, maxNorm,
    }));
    const adamUniform = kernels.uniform('adamw', AdamwParams.pack({
      P, rangeCount: decayRanges.length, lr: hp.lr, beta1: hp.beta1, beta2: hp.beta2, eps: hp.eps,
      weightDecay: hp.weightDecay, biasCorrection1: 1 - hp.beta1 ** hp.step, biasCorrection2: 1 - hp.beta2 ** hp.step,
    }));
    const b = {
      params: uploadF32(device, 'params', params), grads: uploadF32(device, 'grads', grads),
      m: uploadF32(device, 'm', m0), v: uploadF32(device, 'v', v0),
      decayRanges: uploadU32(device, 'ranges', decayRanges.flat()),
      normStats: zerosF32(device, 'normStats', 2), partials: zerosF32(device, 'partials', gradNormPartialCount(P)),
    };
    await runChecked(device, [
      ...gradNorm(kernels, { ...b, ring, uniform: normUniform }, { P }),
      ...adamwUpdate(kernels, { ...b, uniform: adamUniform }, { P }),
    ]);

    const norm = ref.gradNorm(grads);
    const scale = ref.clipScale(norm, maxNorm);
    expect(scale).toBeLessThan(1);
    const p = Float64Array.from(params), m = Float64Array.from(m0), v = Float64Array.from(v0);
    for (let i = 0; i < P; i++) {
      const decayed = decayRanges.some(([s, e]) => i >= s && i < e);
      const one = (a: Float64Array) => a.subarray(i, i + 1);
      ref.adamwUpdate(one(p), one(Float64Array.from(grads)), one(m), one(v), {
        ...hp, weightDecay: decayed ? hp.weightDecay : 0, gradScale: scale,
      });
    }
    const normStats = await readF32(device, b.normStats, 2);
    expectClose('grad norm', [normStats[0]], [norm], { atol: 0, rtol: 1e-5 });
    expectClose('clip scale', [normStats[1]], [scale], { atol: 0, rtol: 1e-5 });
    const ringValues = await readF32(device, ring, 4 * METRIC_STRIDE);
    expect(ringValues[2 * METRIC_STRIDE + METRIC_FIELDS.indexOf('gradNorm')]).toBe(normStats[0]);
    expectClose('adamw params', await readF32(device, b.params, P), p, { atol: 1e-6, rtol: 1e-5 });
    expectClose('adamw m', await readF32(device, b.m, P), m, { atol: 1e-7, rtol: 1e-5 });
    expectClose('adamw v', await readF32(device, b.v, P), v, { atol: 1e-9, rtol: 1e-5 });
  });

  test('lossStatistics writes means, threshold and kept count', async () => {
    const { device } = await testDevice();
    const kernels = await testKernels();
    const rng = new Rng(3);
    const M = 517;
    const losses = Float64Array.from({ length: M }, () => Math.fround(Math.abs(rng.normal()) * 3));
    const entropies = Float64Array.from({ length: M }, () => Math.fround(Math.abs(rng.normal())));
    const k = ref.keptCount(0.7, M);
    const ring = zerosF32(device, 'ring', 2 * METRIC_STRIDE);
    const b = {
      mask: zerosF32(device, 'mask', M), keptIndices: zerosF32(device, 'kept', M), selectStats: zerosF32(device, 'stats', 3),
      scores: uploadF32(device, 'losses', losses), entropies: uploadF32(device, 'entropies', entropies),
    };
    const uniform = kernels.uniform('stats', LossStatisticsSizes.pack({ M, slot: 1 }));
    await runChecked(device, [
      ...selectTopK(kernels, b, { M, k }),
      ...lossStatistics(kernels, { ring, losses: b.scores, entropies: b.entropies, mask: b.mask, selectStats: b.selectStats, uniform }, { M }),
    ]);
    const record = (await readF32(device, ring, 2 * METRIC_STRIDE)).subarray(METRIC_STRIDE, 2 * METRIC_STRIDE);
    const field = (name: (typeof METRIC_FIELDS)[number]) => record[METRIC_FIELDS.indexOf(name)];
    const mean = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / a.length;
    expectClose('trainLoss', [field('trainLoss')], [mean(losses)], { atol: 0, rtol: 1e-5 });
    expectClose('meanEntropy', [field('meanEntropy')], [mean(entropies)], { atol: 0, rtol: 1e-5 });
    expectClose('selectedLoss (CVaR)', [field('selectedLoss')], [ref.cvar(losses, 0.7)], { atol: 0, rtol: 1e-5 });
    expect(field('keptCount')).toBe(k);
    const std = Math.sqrt(losses.reduce((a, x) => a + (x - mean(losses)) ** 2, 0) / M);
    expectClose('lossStd', [field('lossStd')], [std], { atol: 0, rtol: 1e-4 });
  });
});
