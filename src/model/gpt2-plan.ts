// The dispatch lists of a GPT-2 training step, built once per model instance:
// forward, selection, statistics, backward and optimizer. Names follow llm.c's
// gpt2_forward / gpt2_backward; the residual stream's gradient lives in dresidual and
// is updated in place as the backward walks down the blocks.

import { perKeptRow, type Dispatch, type KernelCache } from '../gpu/kernel.ts';
import { adamwUpdate } from '../gpu/ops/adamw.ts';
import { attentionBackward, attentionForward } from '../gpu/ops/attention.ts';
import { crossentropyBackward, crossentropyBackwardKept, crossentropyForward } from '../gpu/ops/crossentropy.ts';
import { distillBackward, distillForward } from '../gpu/ops/distill.ts';
import { geluBackward, geluForward, residualForward } from '../gpu/ops/elementwise.ts';
import { encoderBackward, encoderForward } from '../gpu/ops/encoder.ts';
import { layernormBackward, layernormForward } from '../gpu/ops/layernorm.ts';
import { gemm, matmulBackward, matmulForward } from '../gpu/ops/matmul.ts';
import { gatherRows, scatterRows } from '../gpu/ops/rows.ts';
import { gradNorm, lossStatistics } from '../gpu/ops/metrics.ts';
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
 * rows, and dlnf scattered back to the kept rows (the others stay zero). Gradients
 * equal the dense masked backward's: the dropped rows would only add zeros.
 */
function lmHeadBackwardKept(kernels: KernelCache, model: Gpt2Gpu): Dispatch[] {
  const { nEmbd: C, vocabSize: V } = model.config;
  const M = model.M;
  const u = model.uniforms;
  const keptIndices = model.whole(model.keptIndices);
  return [
    ...crossentropyBackwardKept(kernels, {
      dlogitsKept: model.dact('dlogitsKept'), logits: model.act('logits'), rowStats: model.act('rowStats'),
      targets: model.whole(model.targets), keptIndices,
    }, { maxKept: M, V }, u.crossentropyKept).map((d) => perKeptRow(d, M)),
    ...gatherRows(kernels, { out: model.dact('lnfKept'), inp: model.act('lnf'), indices: keptIndices }, { maxRows: M, C }, u.keptRows),
    // dlnfKept (k,C) = dlogitsKept (k,V) · wte (V,C), overwritten.
    perKeptRow(gemm(kernels, model.dact('dlnfKept'), model.dact('dlogitsKept'), model.param('wte'), { M, N: C, K: V }, {
      transA: false, transB: false, accumulate: false, label: 'lmHead.dinpKept', uniform: u.lmHeadDinp,
    }), M),
    // dwte (V,C) += dlogitsKeptᵀ · lnfKept; the accumulate adds V·C FLOPs whatever k is.
    perKeptRow(gemm(kernels, model.grad('wte'), model.dact('dlogitsKept'), model.dact('lnfKept'), { M: V, N: C, K: M }, {
      transA: true, transB: false, accumulate: true, label: 'lmHead.dweightKept', uniform: u.lmHeadDweight,
    }), M, V * C),
    ...scatterRows(kernels, { out: model.dact('dlnf'), inp: model.dact('dlnfKept'), indices: keptIndices }, { maxRows: M, C }, u.keptRows),
  ];
}

/**
 * The dense masked backward of cross-entropy (or of the distillation loss) and LM head:
 * every row, dropped ones multiplied by zero.
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

export function buildBackward(kernels: KernelCache, model: Gpt2Gpu): Dispatch[] {
  const { B, T } = model.dims;
  const { nEmbd: C, nHead: NH, nLayer: L, vocabSize: V } = model.config;
  const N = B * T;
  const out: Dispatch[] = [];

  // Cross-entropy (mask, 1/k) and the tied LM head, into dlnf.
  out.push(...(model.rowSkipping ? lmHeadBackwardKept(kernels, model) : lmHeadBackwardDense(kernels, model)));

  // Final LayerNorm; dresidual becomes d residual3[L−1].
  out.push(...layernormBackward(kernels, {
    dinp: model.dact('dresidual'), dweight: model.grad('lnfw'), dbias: model.grad('lnfb'), dout: model.dact('dlnf'),
    inp: model.act('residual3', L - 1), weight: model.param('lnfw'), mean: model.act('lnfMean'), rstd: model.act('lnfRstd'),
  }, { N, C }));

  for (let l = L - 1; l >= 0; l--) {
    const residual = l === 0 ? model.act('encoded') : model.act('residual3', l - 1);
    const dres = model.dact('dresidual');

    // residual3 = residual2 + fcproj: d fcproj = dres, and dres carries on as d residual2.
    out.push(...matmulBackward(kernels, {
      dinp: model.dact('dfchGelu', l), dweight: model.grad('fcprojw', l), dbias: model.grad('fcprojb', l),
      dout: dres, inp: model.act('fchGelu', l), weight: model.param('fcprojw', l),
    }, { N, C: 4 * C, OC: C }, `fcproj${l}`));
    out.push(...geluBackward(kernels, { dinp: model.dact('dfch', l), inp: model.act('fch', l), dout: model.dact('dfchGelu', l) }, { N: N * 4 * C }));
    out.push(...matmulBackward(kernels, {
      dinp: model.dact('dln2', l), dweight: model.grad('fcw', l), dbias: model.grad('fcb', l),
      dout: model.dact('dfch', l), inp: model.act('ln2', l), weight: model.param('fcw', l),
    }, { N, C, OC: 4 * C }, `fc${l}`));
    out.push(...layernormBackward(kernels, {
      dinp: dres, dweight: model.grad('ln2w', l), dbias: model.grad('ln2b', l), dout: model.dact('dln2', l),
      inp: model.act('residual2', l), weight: model.param('ln2w', l), mean: model.act('ln2Mean', l), rstd: model.act('ln2Rstd', l),
    }, { N, C }));

    // residual2 = residual + attproj: d attproj = dres, and dres carries on as d residual.
    out.push(...matmulBackward(kernels, {
      dinp: model.dact('datty', l), dweight: model.grad('attprojw', l), dbias: model.grad('attprojb', l),
      dout: dres, inp: model.act('atty', l), weight: model.param('attprojw', l),
    }, { N, C, OC: C }, `attproj${l}`));
    out.push(...attentionBackward(kernels, {
      dinp: model.dact('dqkv', l), dpreatt: model.dact('dpreatt', l), dout: model.dact('datty', l),
      inp: model.act('qkv', l), att: model.act('att', l),
    }, { B, T, C, NH }));
    out.push(...matmulBackward(kernels, {
      dinp: model.dact('dln1', l), dweight: model.grad('qkvw', l), dbias: model.grad('qkvb', l),
      dout: model.dact('dqkv', l), inp: model.act('ln1', l), weight: model.param('qkvw', l),
    }, { N, C, OC: 3 * C }, `qkv${l}`));
    out.push(...layernormBackward(kernels, {
      dinp: dres, dweight: model.grad('ln1w', l), dbias: model.grad('ln1b', l), dout: model.dact('dln1', l),
      inp: residual, weight: model.param('ln1w', l), mean: model.act('ln1Mean', l), rstd: model.act('ln1Rstd', l),
    }, { N, C }));
  }

  // Embeddings: wte accumulates on top of the LM head's gradient.
  out.push(...encoderBackward(kernels, {
    dwte: model.grad('wte'), dwpe: model.grad('wpe'), dout: model.dact('dresidual'), inp: model.whole(model.inputs),
  }, { B, T, C, V }));
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
