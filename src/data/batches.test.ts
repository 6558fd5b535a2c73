import { describe, expect, it } from 'vitest';
import { BatchSampler, evalBatches } from './batches.ts';

// Token i has value 1000 + i, so a row's first input is 1000 + its window's start.
function rampTokens(length: number): Int32Array {
  return Int32Array.from({ length }, (_, i) => 1000 + i);
}

function rowStarts(inputs: Int32Array, B: number, T: number): number[] {
  return Array.from({ length: B }, (_, b) => inputs[b * T]! - 1000);
}

describe('BatchSampler', () => {
  const tokens = rampTokens(500);

  it('gives the same stream for the same seed', () => {
    const a = new BatchSampler(tokens, { B: 4, T: 16, seed: 7 });
    const b = new BatchSampler(tokens, { B: 4, T: 16, seed: 7 });
    for (let step = 0; step < 5; step++) {
      const batchA = a.next();
      const batchB = b.next();
      expect(Array.from(batchA.inputs), `inputs at step ${step}`).toEqual(Array.from(batchB.inputs));
      expect(Array.from(batchA.targets), `targets at step ${step}`).toEqual(Array.from(batchB.targets));
    }
  });

  it('gives a different stream for another seed', () => {
    const a = new BatchSampler(tokens, { B: 4, T: 16, seed: 7 }).next();
    const b = new BatchSampler(tokens, { B: 4, T: 16, seed: 8 }).next();
    expect(Array.from(a.inputs)).not.toEqual(Array.from(b.inputs));
  });

  it('makes each row a window with targets shifted by one', () => {
    const B = 3;
    const T = 8;
    const { inputs, targets } = new BatchSampler(tokens, { B, T, seed: 1 }).next();
    expect(inputs.length).toBe(B * T);
    expect(targets.length).toBe(B * T);
    for (let b = 0; b < B; b++) {
      const start = inputs[b * T]!;
      for (let t = 0; t < T; t++) {
        expect(inputs[b * T + t], `inputs[${b},${t}]`).toBe(start + t);
        expect(targets[b * T + t], `targets[${b},${t}]`).toBe(start + t + 1);
      }
    }
  });

  it('reaches both ends of the token array', () => {
    const T = 4;
    const sampler = new BatchSampler(rampTokens(10), { B: 8, T, seed: 3 });
    const starts = new Set<number>();
    for (let step = 0; step < 50; step++) for (const start of rowStarts(sampler.next().inputs, 8, T)) starts.add(start);
    // 10 tokens and windows of T+1 = 5 tokens allow starts 0..5.
    expect([...starts].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('rejects a token array shorter than T+1', () => {
    expect(() => new BatchSampler(rampTokens(16), { B: 2, T: 16, seed: 1 })).toThrow(/token array too short for T=16: 16 tokens, need at least 17/);
    expect(() => new BatchSampler(rampTokens(17), { B: 2, T: 16, seed: 1 })).not.toThrow();
    expect(() => new BatchSampler(rampTokens(17), { B: 0, T: 16, seed: 1 })).toThrow(/invalid batch size B: 0/);
  });
});

describe('evalBatches', () => {
  it('spaces windows evenly without overlap', () => {
    const T = 10;
    // 41 tokens: 4 windows with starts 0, 10, 20, 30 predict disjoint targets.
    const [batch] = evalBatches({ ca: rampTokens(41) }, { B: 4, T, windowsPerGenre: 4 });
    expect(rowStarts(batch!.inputs, 4, T)).toEqual([0, 10, 20, 30]);
    expect(batch!.targets[3 * T + T - 1]).toBe(1000 + 40);
    expect(Array.from(batch!.rowValid)).toEqual([1, 1, 1, 1]);
  });

  it('pads the last batch and tags rows by genre', () => {
    const T = 5;
    const valByGenre = { cb: rampTokens(100), ca: rampTokens(60) };
    const batches = evalBatches(valByGenre, { B: 4, T, windowsPerGenre: 3 });
    expect(batches).toHaveLength(2);
    expect(batches[0]!.genres).toEqual(['ca', 'ca', 'ca', 'cb']);
    expect(batches[1]!.genres).toEqual(['cb', 'cb', '', '']);
    expect(Array.from(batches[1]!.rowValid)).toEqual([1, 1, 0, 0]);
    expect(Array.from(batches[1]!.inputs.subarray(2 * T))).toEqual(new Array(2 * T).fill(0));
    // ca has 60 tokens, so max start 54 and starts 0, 27, 54. cb has 100 tokens and max start 94.
    expect(rowStarts(batches[0]!.inputs, 4, T)).toEqual([0, 27, 54, 0]);
    expect(rowStarts(batches[1]!.inputs, 2, T)).toEqual([47, 94]);
  });

  it('uses each offset once when a genre is short', () => {
    const batches = evalBatches({ ca: rampTokens(7) }, { B: 8, T: 4, windowsPerGenre: 5 });
    expect(rowStarts(batches[0]!.inputs, 3, 4)).toEqual([0, 1, 2]);
    expect(batches[0]!.rowValid.reduce((sum, valid) => sum + valid, 0)).toBe(3);
  });

  it('is deterministic', () => {
    const valByGenre = { ca: rampTokens(300), cb: rampTokens(200) };
    const first = evalBatches(valByGenre, { B: 3, T: 7, windowsPerGenre: 5 });
    const second = evalBatches(valByGenre, { B: 3, T: 7, windowsPerGenre: 5 });
    expect(second).toEqual(first);
  });

  it('rejects a genre shorter than T+1', () => {
    expect(() => evalBatches({ cm: rampTokens(8) }, { B: 2, T: 8, windowsPerGenre: 1 })).toThrow(
      /validation tokens of genre "cm" too short for T=8: 8 tokens, need at least 9/,
    );
  });
});
