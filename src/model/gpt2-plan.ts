// The dispatch lists of a GPT-2 training step, built once per model instance:
// forward, selection, statistics, backward and optimizer. Names follow llm.c's
// gpt2_forward / gpt2_backward; the residual stream's gradient lives in dresidual and
// is updated in place as the backward walks down the blocks.

import { perKeptRow, type BufferSlice, type Dispatch, type KernelCache } from '../gpu/kernel.ts';
import { LAYERNORM_EPS } from './config.ts';
import type { ActivationGradName } from './activations.ts';
import { adamwUpdate } from '../gpu/ops/adamw.ts';
import { attentionBackward, attentionForward } from '../gpu/ops/attention.ts';
import { crossentropyBackward, crossentropyBackwardKept, crossentropyForward, CrossentropySizes } from '../gpu/ops/crossentropy.ts';
import { distillBackward, distillForward } from '../gpu/ops/distill.ts';
import { ElementwiseSizes, geluBackward, geluForward, residualForward } from '../gpu/ops/elementwise.ts';
import { encoderBackward, encoderForward } from '../gpu/ops/encoder.ts';
import { layernormBackward, layernormForward, LayernormSizes } from '../gpu/ops/layernorm.ts';
import { gemm, matmulBackward, matmulBackwardBias, matmulForward, MatmulSizes } from '../gpu/ops/matmul.ts';
import { gatherRows, RowSizes, scatterRows } from '../gpu/ops/rows.ts';
import { activeLengthsForward, gradNorm, lossStatistics } from '../gpu/ops/metrics.ts';
import { selectTopK } from '../gpu/ops/select.ts';
import type { Gpt2Gpu } from './gpt2.ts';

export function buildForward(kernels: KernelCache, model: Gpt2Gpu): Dispatch[] {
  const { B, T } = model.dims;
  const { nEmbd: C, nHead: NH, nLayer: L, vocabSize: V } = model.config;
  const N = B * T;
  const out: Dispatch[] = [];

  // Embeddings.
  out.push(...encoderForward(kernels, {
    out: model.act('encoded'), inp: model.whole(model.inputs), wte: model.param('wte'), wpe: model.param('wpe'),
  }, { B, T, C, V }));

  // Transformer blocks: x = x + attn(ln1(x)); x = x + mlp(ln2(x)).
  for (let l = 0; l < L; l++) {
    const residual = l === 0 ? model.act('encoded') : model.act('residual3', l - 1);
    out.push(...layernormForward(kernels, {
      out: model.act('ln1', l), mean: model.act('ln1Mean', l), rstd: model.act('ln1Rstd', l),
      inp: residual, weight: model.param('ln1w', l), bias: model.param('ln1b', l),
    }, { N, C }));
    out.push(...matmulForward(kernels, {
      out: model.act('qkv', l), inp: model.act('ln1', l), weight: model.param('qkvw', l), bias: model.param('qkvb', l),
    }, { N, C, OC: 3 * C }, `qkv${l}`));
    out.push(...attentionForward(kernels, { out: model.act('atty', l), att: model.act('att', l), inp: model.act('qkv', l) }, { B, T, C, NH }));
    out.push(...matmulForward(kernels, {
      out: model.act('attproj', l), inp: model.act('atty', l), weight: model.param('attprojw', l), bias: model.param('attprojb', l),
    }, { N, C, OC: C }, `attproj${l}`));
    out.push(...residualForward(kernels, { out: model.act('residual2', l), inp1: residual, inp2: model.act('attproj', l) }, { N: N * C }));
    out.push(...layernormForward(kernels, {
      out: model.act('ln2', l), mean: model.act('ln2Mean', l), rstd: model.act('ln2Rstd', l),
      inp: model.act('residual2', l), weight: model.param('ln2w', l), bias: model.param('ln2b', l),
    }, { N, C }));
    out.push(...matmulForward(kernels, {
      out: model.act('fch', l), inp: model.act('ln2', l), weight: model.param('fcw', l), bias: model.param('fcb', l),
    }, { N, C, OC: 4 * C }, `fc${l}`));
    out.push(...geluForward(kernels, { out: model.act('fchGelu', l), inp: model.act('fch', l) }, { N: N * 4 * C }));
    out.push(...matmulForward(kernels, {
      out: model.act('fcproj', l), inp: model.act('fchGelu', l), weight: model.param('fcprojw', l), bias: model.param('fcprojb', l),
    }, { N, C: 4 * C, OC: C }, `fcproj${l}`));
    out.push(...residualForward(kernels, {
      out: model.act('residual3', l), inp1: model.act('residual2', l), inp2: model.act('fcproj', l),
    }, { N: N * C }));
  }

  // Final LayerNorm, tied LM head, fused softmax cross-entropy.
  out.push(...layernormForward(kernels, {
    out: model.act('lnf'), mean: model.act('lnfMean'), rstd: model.act('lnfRstd'),
    inp: model.act('residual3', L - 1), weight: model.param('lnfw'), bias: model.param('lnfb'),
  }, { N, C }));
  out.push(...matmulForward(kernels, {
    out: model.act('logits'), inp: model.act('lnf'), weight: model.param('wte'), bias: null,
  }, { N, C, OC: V }, 'lmHead'));
  out.push(...crossentropyForward(kernels, {
    losses: model.act('losses'), entropies: model.act('entropies'), rowStats: model.act('rowStats'),
    logits: model.act('logits'), targets: model.whole(model.targets),
  }, { M: N, V }));
  return out;
}

export function buildSelection(kernels: KernelCache, model: Gpt2Gpu): Dispatch[] {
  return selectTopK(kernels, {
    mask: model.whole(model.mask), keptIndices: model.whole(model.keptIndices), selectStats: model.whole(model.selectStats),
    scores: model.scoreBuffer ? model.whole(model.scoreBuffer) : model.act(model.score === 'loss' ? 'losses' : 'entropies'),
  }, { M: model.M, k: model.M }, model.uniforms.select);
}

export function buildStatistics(kernels: KernelCache, model: Gpt2Gpu): Dispatch[] {
  return lossStatistics(kernels, {
    ring: model.whole(model.ring), losses: model.act('losses'), entropies: model.act('entropies'),
    mask: model.whole(model.mask), selectStats: model.whole(model.selectStats), uniform: model.uniforms.statistics,
  }, { M: model.M });
}

/**
 * Cross-entropy and LM-head backward of the kept rows only: dlogits for the k kept
 * tokens (compacted through keptIndices), the tied head's weight gradient over those k
 * rows, and dlnfKept, the head's input gradient of those rows (compacted too).
 * Gradients equal the dense masked backward's: the dropped rows would only add zeros.
 */
function lmHeadBackwardKept(kernels: KernelCache, model: Gpt2Gpu, keptRows: GPUBuffer): Dispatch[] {
  const { nEmbd: C, vocabSize: V } = model.config;
  const M = model.M;
  const u = {
    crossentropyKept: model.keptCountUniform(kernels, 'crossentropyKept', (k) => CrossentropySizes.pack({ M: k, V, invKept: 1 / k })),
    lmHeadDinp: model.keptCountUniform(kernels, 'lmHeadDinp', (k) => MatmulSizes.pack({ M: k, N: C, K: V })),
    lmHeadDweight: model.keptCountUniform(kernels, 'lmHeadDweight', (k) => MatmulSizes.pack({ M: V, N: C, K: k })),
  };
  const keptIndices = model.whole(model.keptIndices);
  return [
    ...crossentropyBackwardKept(kernels, {
      dlogitsKept: model.dact('dlogitsKept'), logits: model.act('logits'), rowStats: model.act('rowStats'),
      targets: model.whole(model.targets), keptIndices,
    }, { maxKept: M, V }, u.crossentropyKept).map((d) => perKeptRow(d, M)),
    ...gatherRows(kernels, { out: model.dact('lnfKept'), inp: model.act('lnf'), indices: keptIndices }, { maxRows: M, C }, keptRows),
    // dlnfKept (k,C) = dlogitsKept (k,V) · wte (V,C), overwritten.
    perKeptRow(gemm(kernels, model.dact('dlnfKept'), model.dact('dlogitsKept'), model.param('wte'), { M, N: C, K: V }, {
      transA: false, transB: false, accumulate: false, label: 'lmHead.dinpKept', uniform: u.lmHeadDinp,
    }), M),
    // dwte (V,C) += dlogitsKeptᵀ · lnfKept; the accumulate adds V·C FLOPs whatever k is.
    perKeptRow(gemm(kernels, model.grad('wte'), model.dact('dlogitsKept'), model.dact('lnfKept'), { M: V, N: C, K: M }, {
      transA: true, transB: false, accumulate: true, label: 'lmHead.dweightKept', uniform: u.lmHeadDweight,
    }), M, V * C),
  ];
}

/**
 * Build a linear layer's backward over the k kept rows (compacted): dinp (k,C) is
 * overwritten, dweight (OC,C) and dbias (OC) accumulate. Dispatches are sized for M rows.
 */
function linearBackwardKept(
  kernels: KernelCache,
  model: Gpt2Gpu,
  b: { dinp: BufferSlice; dweight: BufferSlice; dbias: BufferSlice; dout: BufferSlice; inp: BufferSlice; weight: BufferSlice },
  dims: { C: number; OC: number },
  label: string,
): Dispatch[] {
  const M = model.M;
  const { C, OC } = dims;
  const dinpSizes = model.keptCountUniform(kernels, `${label}.dinpKept`, (k) => MatmulSizes.pack({ M: k, N: C, K: OC }));
  const dweightSizes = model.keptCountUniform(kernels, `${label}.dweightKept`, (k) => MatmulSizes.pack({ M: OC, N: C, K: k }));
  const biasSizes = model.keptCountUniform(kernels, `${label}.dbiasKept`, (k) => MatmulSizes.pack({ M: k, N: OC, K: 0 }));
  return [
    perKeptRow(gemm(kernels, b.dinp, b.dout, b.weight, { M, N: C, K: OC }, {
      transA: false, transB: false, accumulate: false, label: `${label}.dinpKept`, uniform: dinpSizes,
    }), M),
    // The accumulate adds OC·C FLOPs whatever k is.
    perKeptRow(gemm(kernels, b.dweight, b.dout, b.inp, { M: OC, N: C, K: M }, {
      transA: true, transB: false, accumulate: true, label: `${label}.dweightKept`, uniform: dweightSizes,
    }), M, OC * C),
    perKeptRow(matmulBackwardBias(kernels, b.dbias, b.dout, { N: M, OC }, `${label}.kept`, biasSizes), M),
  ];
}

/**
 * Build the final LayerNorm and the last block's position-wise backward (MLP, ln2,
 * attention output projection) over the kept rows only: the residual stream's gradient is zero on
 * every other row there, because nothing after the last block mixes positions. The
 * results are scattered back for the attention backward, which needs every position.
 */
function finalBackwardKept(kernels: KernelCache, model: Gpt2Gpu, keptRows: GPUBuffer): Dispatch[] {
  const { nEmbd: C, nLayer: L } = model.config;
  const M = model.M;
  const l = L - 1;
  const keptIndices = model.whole(model.keptIndices);
  const rows1 = model.keptCountUniform(kernels, 'keptRows1', (k) => RowSizes.pack({ rows: k, C: 1 }));
  const rows4C = model.keptCountUniform(kernels, 'keptRows4C', (k) => RowSizes.pack({ rows: k, C: 4 * C }));
  const layernormSizes = model.keptCountUniform(kernels, 'layernormKept', (k) => LayernormSizes.pack({ N: k, C, eps: LAYERNORM_EPS }));
  const geluSizes = model.keptCountUniform(kernels, 'geluKept', (k) => ElementwiseSizes.pack({ N: 4 * C * k }));
  const rowUniforms = new Map([[1, rows1], [C, keptRows], [4 * C, rows4C]]);
  const gather = (out: ActivationGradName, inp: BufferSlice, width: number) => gatherRows(kernels, {
    out: model.dact(out), inp, indices: keptIndices,
  }, { maxRows: M, C: width }, rowUniforms.get(width)!);
  const dres = model.dact('dresidualKept');

  return [
    // Final LayerNorm: dresidualKept = d residual3[L−1] on the kept rows.
    ...gather('residual3Kept', model.act('residual3', l), C),
    ...gather('lnfMeanKept', model.act('lnfMean'), 1),
    ...gather('lnfRstdKept', model.act('lnfRstd'), 1),
    ...layernormBackward(kernels, {
      dinp: dres, dweight: model.grad('lnfw'), dbias: model.grad('lnfb'), dout: model.dact('dlnfKept'),
      inp: model.dact('residual3Kept'), weight: model.param('lnfw'), mean: model.dact('lnfMeanKept'), rstd: model.dact('lnfRstdKept'),
    }, { N: M, C }, layernormSizes).map((d) => perKeptRow(d, M)),

    // MLP of the last block, then ln2: dresidualKept becomes d residual2.
    ...gather('fchGeluKept', model.act('fchGelu', l), 4 * C),
    ...gather('fchKept', model.act('fch', l), 4 * C),
    ...gather('ln2Kept', model.act('ln2', l), C),
    ...gather('residual2Kept', model.act('residual2', l), C),
    ...gather('ln2MeanKept', model.act('ln2Mean', l), 1),
    ...gather('ln2RstdKept', model.act('ln2Rstd', l), 1),
    ...linearBackwardKept(kernels, model, {
      dinp: model.dact('dfchGeluKept'), dweight: model.grad('fcprojw', l), dbias: model.grad('fcprojb', l),
      dout: dres, inp: model.dact('fchGeluKept'), weight: model.param('fcprojw', l),
    }, { C: 4 * C, OC: C }, `fcproj${l}`),
    ...geluBackward(kernels, { dinp: model.dact('dfchKept'), inp: model.dact('fchKept'), dout: model.dact('dfchGeluKept') }, { N: M * 4 * C }, geluSizes)
      .map((d) => perKeptRow(d, M)),
    ...linearBackwardKept(kernels, model, {
      dinp: model.dact('dln2Kept'), dweight: model.grad('fcw', l), dbias: model.grad('fcb', l),
      dout: model.dact('dfchKept'), inp: model.dact('ln2Kept'), weight: model.param('fcw', l),
    }, { C, OC: 4 * C }, `fc${l}`),
    ...layernormBackward(kernels, {
      dinp: dres, dweight: model.grad('ln2w', l), dbias: model.grad('ln2b', l), dout: model.dact('dln2Kept'),
      inp: model.dact('residual2Kept'), weight: model.param('ln2w', l), mean: model.dact('ln2MeanKept'), rstd: model.dact('ln2RstdKept'),
    }, { N: M, C }, layernormSizes).map((d) => perKeptRow(d, M)),

    // Attention output projection; its input gradient and the residual stream go back to all rows.
    ...gather('attyKept', model.act('atty', l), C),
    ...linearBackwardKept(kernels, model, {
      dinp: model.dact('dattyKept'), dweight: model.grad('attprojw', l), dbias: model.grad('attprojb', l),
      dout: dres, inp: model.dact('attyKept'), weight: model.param('attprojw', l),
    }, { C, OC: C }, `attproj${l}`),
    ...scatterRows(kernels, { out: model.dact('datty', l), inp: model.dact('dattyKept'), indices: keptIndices }, { maxRows: M, C }, keptRows),
    ...scatterRows(kernels, { out: model.dact('dresidual'), inp: dres, indices: keptIndices }, { maxRows: M, C }, keptRows),
  ];
}

/**
 * Build the dense masked backward of cross-entropy (or of the distillation loss) and
 * the LM head: every row, dropped ones multiplied by zero.
 */
function lmHeadBackwardDense(kernels: KernelCache, model: Gpt2Gpu): Dispatch[] {
  const { nEmbd: C, vocabSize: V } = model.config;
  const N = model.M;
  const lossBackward = model.distill
    ? [
      ...distillForward(kernels, {
        kl: model.whole(model.kl), distillStats: model.whole(model.distillStats),
        logits: model.act('logits'), teacherLogits: model.whole(model.distill.teacherLogits),
      }, { M: N, V, temperature: model.distill.temperature }),
      ...distillBackward(kernels, {
        dlogits: model.act('logits'), rowStats: model.act('rowStats'), distillStats: model.whole(model.distillStats),
        teacherLogits: model.whole(model.distill.teacherLogits), targets: model.whole(model.targets), mask: model.whole(model.mask),
      }, { M: N, V, k: N, lambda: model.distill.lambda, temperature: model.distill.temperature }, model.uniforms.distill),
    ]
    : crossentropyBackward(kernels, {
      dlogits: model.act('logits'), rowStats: model.act('rowStats'), targets: model.whole(model.targets), mask: model.whole(model.mask),
    }, { M: N, V, k: N }, model.uniforms.crossentropyBackward);
  return [
    ...lossBackward,
    ...matmulBackward(kernels, {
      dinp: model.dact('dlnf'), dweight: model.grad('wte'), dbias: null,
      dout: model.act('logits'), inp: model.act('lnf'), weight: model.param('wte'),
    }, { N, C, OC: V }, 'lmHead'),
  ];
}

/** Build a block's backward from residual3 down to the attention output (MLP, ln2, attention projection) on every row. */
function positionWiseBackward(kernels: KernelCache, model: Gpt2Gpu, l: number): Dispatch[] {
  const { B, T } = model.dims;
  const { nEmbd: C } = model.config;
  const N = B * T;
  const dres = model.dact('dresidual');
  const active = model.activeRows;
  const out: Dispatch[] = [];
  // residual3 = residual2 + fcproj: d fcproj = dres, and dres carries on as d residual2.
  out.push(...matmulBackward(kernels, {
    dinp: model.dact('dfchGelu', l), dweight: model.grad('fcprojw', l), dbias: model.grad('fcprojb', l),
    dout: dres, inp: model.act('fchGelu', l), weight: model.param('fcprojw', l),
  }, { N, C: 4 * C, OC: C }, `fcproj${l}`, active));
  out.push(...geluBackward(kernels, { dinp: model.dact('dfch', l), inp: model.act('fch', l), dout: model.dact('dfchGelu', l) }, { N: N * 4 * C },
    undefined, active && { ...active, rowWidth: 4 * C }));
  out.push(...matmulBackward(kernels, {
    dinp: model.dact('dln2', l), dweight: model.grad('fcw', l), dbias: model.grad('fcb', l),
    dout: model.dact('dfch', l), inp: model.act('ln2', l), weight: model.param('fcw', l),
  }, { N, C, OC: 4 * C }, `fc${l}`, active));
  out.push(...layernormBackward(kernels, {
    dinp: dres, dweight: model.grad('ln2w', l), dbias: model.grad('ln2b', l), dout: model.dact('dln2', l),
    inp: model.act('residual2', l), weight: model.param('ln2w', l), mean: model.act('ln2Mean', l), rstd: model.act('ln2Rstd', l),
  }, { N, C }, undefined, active));

  // residual2 = residual + attproj: d attproj = dres, and dres carries on as d residual.
  out.push(...matmulBackward(kernels, {
    dinp: model.dact('datty', l), dweight: model.grad('attprojw', l), dbias: model.grad('attprojb', l),
    dout: dres, inp: model.act('atty', l), weight: model.param('attprojw', l),
  }, { N, C, OC: C }, `attproj${l}`, active));
  return out;
}

export function buildBackward(kernels: KernelCache, model: Gpt2Gpu): Dispatch[] {
  const { B, T } = model.dims;
  const { nEmbd: C, nHead: NH, nLayer: L, vocabSize: V } = model.config;
  const N = B * T;
  const out: Dispatch[] = [];

  const active = model.activeRows;
  if (model.rowSkipping) {
    // Positions after each sequence's last kept token get no gradient in any layer: their
    // per-sequence cut, then the kept rows only down to the last block's attention, where
    // dresidual becomes d residual2[L−1].
    out.push(...activeLengthsForward(kernels, {
      activeLengths: model.whole(model.activeLengths), ring: model.whole(model.ring), mask: model.whole(model.mask),
      uniform: model.uniforms.activeLengths,
    }));
    const keptRows = model.keptCountUniform(kernels, 'keptRows', (k) => RowSizes.pack({ rows: k, C }));
    out.push(...lmHeadBackwardKept(kernels, model, keptRows), ...finalBackwardKept(kernels, model, keptRows));
  } else {
    // Cross-entropy (mask, 1/k), the tied LM head into dlnf, then the final LayerNorm:
    // dresidual becomes d residual3[L−1].
    out.push(...lmHeadBackwardDense(kernels, model));
    out.push(...layernormBackward(kernels, {
      dinp: model.dact('dresidual'), dweight: model.grad('lnfw'), dbias: model.grad('lnfb'), dout: model.dact('dlnf'),
      inp: model.act('residual3', L - 1), weight: model.param('lnfw'), mean: model.act('lnfMean'), rstd: model.act('lnfRstd'),
    }, { N, C }));
  }

  for (let l = L - 1; l >= 0; l--) {
    const residual = l === 0 ? model.act('encoded') : model.act('residual3', l - 1);
    const dres = model.dact('dresidual');
    const positionWiseDone = model.rowSkipping && l === L - 1;
    if (!positionWiseDone) out.push(...positionWiseBackward(kernels, model, l));

    out.push(...attentionBackward(kernels, {
      dinp: model.dact('dqkv', l), dpreatt: model.dact('dpreatt', l), dout: model.dact('datty', l),
      inp: model.act('qkv', l), att: model.act('att', l),
    }, { B, T, C, NH }, active?.lengths));
    out.push(...matmulBackward(kernels, {
      dinp: model.dact('dln1', l), dweight: model.grad('qkvw', l), dbias: model.grad('qkvb', l),
      dout: model.dact('dqkv', l), inp: model.act('ln1', l), weight: model.param('qkvw', l),
    }, { N, C, OC: 3 * C }, `qkv${l}`, active));
    out.push(...layernormBackward(kernels, {
      dinp: dres, dweight: model.grad('ln1w', l), dbias: model.grad('ln1b', l), dout: model.dact('dln1', l),
      inp: residual, weight: model.param('ln1w', l), mean: model.act('ln1Mean', l), rstd: model.act('ln1Rstd', l),
    }, { N, C }, undefined, active));
  }

  // Embeddings: wte accumulates on top of the LM head's gradient.
  out.push(...encoderBackward(kernels, {
    dwte: model.grad('wte'), dwpe: model.grad('wpe'), dout: model.dact('dresidual'), inp: model.whole(model.inputs),
  }, { B, T, C, V }, active?.lengths));
  return out;
}

export function buildOptimizer(kernels: KernelCache, model: Gpt2Gpu): Dispatch[] {
  const P = model.layout.total;
  return [
    ...gradNorm(kernels, {
      normStats: model.whole(model.normStats), partials: model.whole(model.gradNormPartials), ring: model.whole(model.ring),
      grads: model.whole(model.grads), uniform: model.uniforms.gradNorm,
    }, { P }),
    ...adamwUpdate(kernels, {
      params: model.whole(model.params), m: model.whole(model.adamM), v: model.whole(model.adamV), grads: model.whole(model.grads),
      decayRanges: model.whole(model.decayRanges), normStats: model.whole(model.normStats), uniform: model.uniforms.adamw,
    }, { P }),
  ];
}
