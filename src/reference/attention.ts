// Float64 CPU reference of causal multi-head self-attention, forward and backward.
//
// The input row of one position is [q | k | v], each C wide, and head h uses channels
// [h·HS, (h+1)·HS) of each part, with HS = C / NH.

import { checkLength, checkSizes } from './shapes.ts';

export interface AttentionSizes { B: number; T: number; C: number; NH: number }

function checkAttentionSizes(op: string, { B, T, C, NH }: AttentionSizes): void {
  checkSizes(op, { B, T, C, NH });
  if (C % NH !== 0) throw new Error(`invalid sizes for ${op}: C (${C}) must be divisible by NH (${NH})`);
}

/**
 * Computes causal attention. For each head, preatt[t,t2] = q_t·k_t2 / √HS and att is
 * its softmax over t2 ≤ t (max subtracted first). out_t = Σ_t2 att[t,t2]·v_t2.
 * Overwrites out, preatt and att. Entries with t2 > t are 0 in both preatt and att.
 */
export function attentionForward(
  out: Float64Array, // (B,T,C)
  preatt: Float64Array, // (B,NH,T,T)
  att: Float64Array, // (B,NH,T,T)
  inp: Float64Array, // (B,T,3C) q,k,v
  sizes: AttentionSizes,
): void {
  const { B, T, C, NH } = sizes;
  checkAttentionSizes('attentionForward', sizes);
  checkLength('out', out, B * T * C, '(B,T,C)');
  checkLength('preatt', preatt, B * NH * T * T, '(B,NH,T,T)');
  checkLength('att', att, B * NH * T * T, '(B,NH,T,T)');
  checkLength('inp', inp, B * T * 3 * C, '(B,T,3C)');
  const HS = C / NH;
  const scale = 1 / Math.sqrt(HS);

  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const query = (b * T + t) * 3 * C + h * HS;
        const row = ((b * NH + h) * T + t) * T;

        // Scaled scores over the causal prefix, and their maximum.
        let max = -Infinity;
        for (let t2 = 0; t2 < T; t2++) {
          if (t2 > t) {
            preatt[row + t2] = 0;
            continue;
          }
          const key = (b * T + t2) * 3 * C + C + h * HS;
          let dot = 0;
          for (let i = 0; i < HS; i++) dot += inp[query + i] * inp[key + i];
          preatt[row + t2] = dot * scale;
          max = Math.max(max, dot * scale);
        }

        // Softmax over t2 ≤ t.
        let sum = 0;
        for (let t2 = 0; t2 < T; t2++) {
          const e = t2 <= t ? Math.exp(preatt[row + t2] - max) : 0;
          att[row + t2] = e;
          sum += e;
        }
        for (let t2 = 0; t2 <= t; t2++) att[row + t2] /= sum;

        // Weighted sum of the values.
        const output = (b * T + t) * C + h * HS;
        for (let i = 0; i < HS; i++) out[output + i] = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const value = (b * T + t2) * 3 * C + 2 * C + h * HS;
          for (let i = 0; i < HS; i++) out[output + i] += att[row + t2] * inp[value + i];
        }
      }
    }
  }
}

/**
 * Accumulates the attention gradient into dinp (dq, dk and dv in the [q | k | v] layout).
 * datt and dpreatt are scratch and are overwritten, with entries t2 > t set to 0:
 * datt[t,t2] = dout_t·v_t2, and the softmax backward
 * dpreatt[t,t2] = att[t,t2]·(datt[t,t2] − Σ_t3 att[t,t3]·datt[t,t3]).
 * Then dv_t2 += att[t,t2]·dout_t, dq_t += Σ_t2 dpreatt[t,t2]·k_t2/√HS and
 * dk_t2 += dpreatt[t,t2]·q_t/√HS.
 */
export function attentionBackward(
  dinp: Float64Array, // (B,T,3C)
  dpreatt: Float64Array, // (B,NH,T,T) scratch, overwritten
  datt: Float64Array, // (B,NH,T,T) scratch, overwritten
  dout: Float64Array, // (B,T,C)
  inp: Float64Array, // (B,T,3C) q,k,v
  att: Float64Array, // (B,NH,T,T)
  sizes: AttentionSizes,
): void {
  const { B, T, C, NH } = sizes;
  checkAttentionSizes('attentionBackward', sizes);
  checkLength('dinp', dinp, B * T * 3 * C, '(B,T,3C)');
  checkLength('dpreatt', dpreatt, B * NH * T * T, '(B,NH,T,T)');
  checkLength('datt', datt, B * NH * T * T, '(B,NH,T,T)');
  checkLength('dout', dout, B * T * C, '(B,T,C)');
  const HS = C / NH;
  const scale = 1 / Math.sqrt(HS);

  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const row = ((b * NH + h) * T + t) * T;
        const output = (b * T + t) * C + h * HS;
        const query = (b * T + t) * 3 * C + h * HS;
        datt.fill(0, row, row + T);
        dpreatt.fill(0, row, row + T);

        // Backward through out_t = Σ_t2 att[t,t2]·v_t2.
        for (let t2 = 0; t2 <= t; t2++) {
          const value = (b * T + t2) * 3 * C + 2 * C + h * HS;
          for (let i = 0; i < HS; i++) {
            datt[row + t2] += inp[value + i] * dout[output + i];
            dinp[value + i] += att[row + t2] * dout[output + i];
          }
        }

        // Backward through the softmax.
        let weighted = 0;
        for (let t2 = 0; t2 <= t; t2++) weighted += att[row + t2] * datt[row + t2];
        for (let t2 = 0; t2 <= t; t2++) dpreatt[row + t2] = att[row + t2] * (datt[row + t2] - weighted);

        // Backward through preatt[t,t2] = q_t·k_t2 / √HS.
        for (let t2 = 0; t2 <= t; t2++) {
          const key = (b * T + t2) * 3 * C + C + h * HS;
          for (let i = 0; i < HS; i++) {
            dinp[query + i] += dpreatt[row + t2] * inp[key + i] * scale;
            dinp[key + i] += dpreatt[row + t2] * inp[query + i] * scale;
          }
        }
      }
    }
  }
}
