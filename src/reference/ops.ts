// Float64 CPU reference of the position-wise GPT-2 ops: encoder, LayerNorm, matmul,
// GELU and residual. Each forward sits beside its backward.
//
// Argument order is outputs, inputs, weights, then a sizes object. Forward functions
// overwrite their outputs. Backward functions accumulate (+=) into every gradient
// they write, as llm.c does, so the caller zeroes gradients as an explicit step.

import { LAYERNORM_EPS } from '../model/config.ts';
import { checkLength, checkSizes, checkTokenIds } from './shapes.ts';

export interface EncoderSizes { B: number; T: number; C: number }
/** Sizes of a row-wise op over N rows of C channels. */
export interface RowSizes { N: number; C: number }
/** Sizes of a linear layer mapping N rows from C to OC channels. */
export interface MatmulSizes { N: number; C: number; OC: number }
/** Sizes of an element-wise op over N elements. */
export interface ElementwiseSizes { N: number }

/** Computes out[b,t,:] = wte[inp[b,t],:] + wpe[t,:]. */
export function encoderForward(
  out: Float64Array, // (B,T,C)
  inp: Int32Array, // (B,T) token ids
  wte: Float64Array, // (V,C)
  wpe: Float64Array, // (maxT,C), maxT ≥ T
  { B, T, C }: EncoderSizes,
): void {
  checkSizes('encoderForward', { B, T, C });
  checkLength('out', out, B * T * C, '(B,T,C)');
  checkLength('inp', inp, B * T, '(B,T)');
  checkTokenIds('inp', inp, wte.length / C);
  if (wpe.length < T * C) throw new Error(`invalid wpe: ${wpe.length} elements cannot hold T=${T} rows of C=${C}`);

  for (let bt = 0; bt < B * T; bt++) {
    const t = bt % T;
    const token = inp[bt];
    for (let i = 0; i < C; i++) {
      out[bt * C + i] = wte[token * C + i] + wpe[t * C + i];
    }
  }
}

/** Accumulates the encoder gradient into the rows of dwte and dwpe that the forward read. */
export function encoderBackward(
  dwte: Float64Array, // (V,C)
  dwpe: Float64Array, // (maxT,C)
  dout: Float64Array, // (B,T,C)
  inp: Int32Array, // (B,T)
  { B, T, C }: EncoderSizes,
): void {
  checkSizes('encoderBackward', { B, T, C });
  checkLength('dout', dout, B * T * C, '(B,T,C)');
  checkLength('inp', inp, B * T, '(B,T)');
  checkTokenIds('inp', inp, dwte.length / C);

  for (let bt = 0; bt < B * T; bt++) {
    const t = bt % T;
    const token = inp[bt];
    for (let i = 0; i < C; i++) {
      dwte[token * C + i] += dout[bt * C + i];
      dwpe[t * C + i] += dout[bt * C + i];
    }
  }
}

/**
 * Normalises each row over C channels: out = (x − mean)·rstd·weight + bias, with the
 * biased variance and rstd = 1/√(var + LAYERNORM_EPS). Writes mean and rstd for backward.
 */
export function layernormForward(
  out: Float64Array, // (N,C)
  mean: Float64Array, // (N)
  rstd: Float64Array, // (N)
  inp: Float64Array, // (N,C)
  weight: Float64Array, // (C)
  bias: Float64Array, // (C)
  { N, C }: RowSizes,
): void {
  checkSizes('layernormForward', { N, C });
  checkLength('inp', inp, N * C, '(N,C)');
  checkLength('weight', weight, C, '(C)');

  for (let n = 0; n < N; n++) {
    const row = n * C;

    let sum = 0;
    for (let i = 0; i < C; i++) sum += inp[row + i];
    const m = sum / C;

    let squares = 0;
    for (let i = 0; i < C; i++) squares += (inp[row + i] - m) ** 2;
    const s = 1 / Math.sqrt(squares / C + LAYERNORM_EPS);

    for (let i = 0; i < C; i++) {
      out[row + i] = (inp[row + i] - m) * s * weight[i] + bias[i];
    }
    mean[n] = m;
    rstd[n] = s;
  }
}

/**
 * Accumulates LayerNorm gradients. With norm = (x − mean)·rstd and dnorm = weight·dout:
 * dbias += dout, dweight += norm·dout, and
 * dinp += rstd·(dnorm − mean_C(dnorm) − norm·mean_C(dnorm·norm)).
 */
export function layernormBackward(
  dinp: Float64Array, // (N,C)
  dweight: Float64Array, // (C)
  dbias: Float64Array, // (C)
  dout: Float64Array, // (N,C)
  inp: Float64Array, // (N,C)
  weight: Float64Array, // (C)
  mean: Float64Array, // (N)
  rstd: Float64Array, // (N)
  { N, C }: RowSizes,
): void {
  checkSizes('layernormBackward', { N, C });
  checkLength('dout', dout, N * C, '(N,C)');
  checkLength('dinp', dinp, N * C, '(N,C)');

  for (let n = 0; n < N; n++) {
    const row = n * C;

    let dnormMean = 0;
    let dnormNormMean = 0;
    for (let i = 0; i < C; i++) {
      const norm = (inp[row + i] - mean[n]) * rstd[n];
      const dnorm = weight[i] * dout[row + i];
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
    }
    dnormMean /= C;
    dnormNormMean /= C;

    for (let i = 0; i < C; i++) {
      const norm = (inp[row + i] - mean[n]) * rstd[n];
      const dnorm = weight[i] * dout[row + i];
      dbias[i] += dout[row + i];
      dweight[i] += norm * dout[row + i];
      dinp[row + i] += rstd[n] * (dnorm - dnormMean - norm * dnormNormMean);
    }
  }
}

/** Computes out = inp·weightᵀ + bias (bias omitted when null). Overwrites out. */
export function matmulForward(
  out: Float64Array, // (N,OC)
  inp: Float64Array, // (N,C)
  weight: Float64Array, // (OC,C)
  bias: Float64Array | null, // (OC) or null
  { N, C, OC }: MatmulSizes,
): void {
  checkSizes('matmulForward', { N, C, OC });
  checkLength('out', out, N * OC, '(N,OC)');
  checkLength('inp', inp, N * C, '(N,C)');
  checkLength('weight', weight, OC * C, '(OC,C)');
  if (bias !== null) checkLength('bias', bias, OC, '(OC)');

  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OC; o++) {
      let sum = bias === null ? 0 : bias[o];
      for (let i = 0; i < C; i++) sum += inp[n * C + i] * weight[o * C + i];
      out[n * OC + o] = sum;
    }
  }
}

/**
 * Accumulates the gradients of out = inp·weightᵀ + bias:
 * dinp += dout·weight, dweight += doutᵀ·inp, dbias += Σ_n dout (skipped when null).
 */
export function matmulBackward(
  dinp: Float64Array, // (N,C)
  dweight: Float64Array, // (OC,C)
  dbias: Float64Array | null, // (OC) or null
  dout: Float64Array, // (N,OC)
  inp: Float64Array, // (N,C)
  weight: Float64Array, // (OC,C)
  { N, C, OC }: MatmulSizes,
): void {
  checkSizes('matmulBackward', { N, C, OC });
  checkLength('dinp', dinp, N * C, '(N,C)');
  checkLength('dweight', dweight, OC * C, '(OC,C)');
  checkLength('dout', dout, N * OC, '(N,OC)');
  if (dbias !== null) checkLength('dbias', dbias, OC, '(OC)');

  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OC; o++) {
      const d = dout[n * OC + o];
      if (dbias !== null) dbias[o] += d;
      for (let i = 0; i < C; i++) {
        dinp[n * C + i] += d * weight[o * C + i];
        dweight[o * C + i] += d * inp[n * C + i];
      }
    }
  }
}

/** √(2/π), the constant of GPT-2's tanh approximation of GELU. */
const GELU_SCALE = Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

/** Computes GPT-2's GELU: out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluForward(
  out: Float64Array, // (N)
  inp: Float64Array, // (N)
  { N }: ElementwiseSizes,
): void {
  checkSizes('geluForward', { N });
  checkLength('inp', inp, N, '(N)');

  for (let i = 0; i < N; i++) {
    const x = inp[i];
    out[i] = 0.5 * x * (1 + Math.tanh(GELU_SCALE * (x + GELU_CUBIC * x * x * x)));
  }
}

/**
 * Accumulates dinp += gelu'(x)·dout, where with u = √(2/π)·(x + 0.044715·x³):
 * gelu'(x) = 0.5·(1 + tanh u) + 0.5·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²).
 */
export function geluBackward(
  dinp: Float64Array, // (N)
  inp: Float64Array, // (N)
  dout: Float64Array, // (N)
  { N }: ElementwiseSizes,
): void {
  checkSizes('geluBackward', { N });
  checkLength('dinp', dinp, N, '(N)');
  checkLength('dout', dout, N, '(N)');

  for (let i = 0; i < N; i++) {
    const x = inp[i];
    const tanhU = Math.tanh(GELU_SCALE * (x + GELU_CUBIC * x * x * x));
    const du = GELU_SCALE * (1 + 3 * GELU_CUBIC * x * x);
    const derivative = 0.5 * (1 + tanhU) + 0.5 * x * (1 - tanhU * tanhU) * du;
    dinp[i] += derivative * dout[i];
  }
}

/** Computes out = inp1 + inp2. */
export function residualForward(
  out: Float64Array, // (N)
  inp1: Float64Array, // (N)
  inp2: Float64Array, // (N)
  { N }: ElementwiseSizes,
): void {
  checkSizes('residualForward', { N });
  checkLength('inp1', inp1, N, '(N)');
  checkLength('inp2', inp2, N, '(N)');

  for (let i = 0; i < N; i++) out[i] = inp1[i] + inp2[i];
}

/** Accumulates dout into both inputs' gradients. */
export function residualBackward(
  dinp1: Float64Array, // (N)
  dinp2: Float64Array, // (N)
  dout: Float64Array, // (N)
  { N }: ElementwiseSizes,
): void {
  checkSizes('residualBackward', { N });
  checkLength('dinp1', dinp1, N, '(N)');
  checkLength('dinp2', dinp2, N, '(N)');
  checkLength('dout', dout, N, '(N)');

  for (let i = 0; i < N; i++) {
    dinp1[i] += dout[i];
    dinp2[i] += dout[i];
  }
}

/** Overwrites out with inp1 − inp2 (Rho-1's excess loss). */
export function differenceForward(
  out: Float64Array, // (N)
  inp1: Float64Array, // (N)
  inp2: Float64Array, // (N)
  { N }: ElementwiseSizes,
): void {
  checkSizes('differenceForward', { N });
  checkLength('inp1', inp1, N, '(N)');
  checkLength('inp2', inp2, N, '(N)');

  for (let i = 0; i < N; i++) out[i] = inp1[i] - inp2[i];
}
