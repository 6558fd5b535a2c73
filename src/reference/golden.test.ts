// Compares the float64 reference GPT-2 with a second, independent implementation:
// fixtures/gpt2-tiny.json holds PyTorch's per-token losses, entropies, masked-mean
// loss and every parameter gradient for a tiny model. scripts/golden/README.md describes
// how the fixture was generated and how to regenerate it. CI only reads the JSON.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GPT2Config } from '../model/config.ts';
import { type ParameterSlot, dataRanges, parameterLayout } from '../model/layout.ts';
import { gpt2Backward, gpt2Forward } from './gpt2.ts';

interface GoldenCase {
  name: string;
  mask: number[]; // (M) 0 or 1
  k: number;
  loss: number;
  losses: number[]; // (M)
  entropies: number[]; // (M)
  grads: number[]; // (P) flat layout of parameterLayout(config), padding 0
}

interface GoldenFixture {
  generator: string;
  config: GPT2Config;
  B: number;
  T: number;
  inputs: number[]; // (B,T)
  targets: number[]; // (B,T)
  params: number[]; // (P) flat layout, padding 0
  cases: GoldenCase[];
}

// Tolerance: |ours − torch| ≤ ABSOLUTE + RELATIVE·|torch|. Both sides compute in
// float64 but differ in summation order and in their exp/log/tanh implementations.
// Against an unrounded torch run they agreed to within 9e-16 absolute on losses and
// entropies and 3e-16 absolute on every gradient element.
// The fixture stores 12 significant digits, which adds up to 5e-12 relative error, so
// RELATIVE = 1e-9 leaves a margin of 200. Small formula changes are far larger: in
// torch on this fixture, exact GELU in place of the tanh form moves the losses by 3e-6
// relative and LayerNorm eps 1e-6 in place of 1e-5 by 5e-5. ABSOLUTE covers gradient
// elements near zero, where cancelling sums make the relative error meaningless.
const RELATIVE = 1e-9;
const ABSOLUTE = 1e-12;

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/gpt2-tiny.json', import.meta.url), 'utf8'),
) as GoldenFixture;

/** Fails with the first element outside the tolerance, naming it and the maximum error over `name`. */
function expectClose(name: string, ours: ArrayLike<number>, torch: ArrayLike<number>, labels?: string[]): void {
  expect(ours.length, `${name}: element count`).toBe(torch.length);
  let maxError = 0;
  let firstBad = -1;
  for (let i = 0; i < torch.length; i++) {
    const error = Math.abs(ours[i] - torch[i]);
    if (!(error <= ABSOLUTE + RELATIVE * Math.abs(torch[i]))) {
      if (firstBad < 0) firstBad = i;
      maxError = Math.max(maxError, Number.isNaN(error) ? Infinity : error);
    } else {
      maxError = Math.max(maxError, error);
    }
  }
  const where = firstBad >= 0 && labels ? labels[firstBad] : `[${firstBad}]`;
  const message = firstBad < 0 ? name
    : `${name}${where}: ours ${ours[firstBad]}, torch ${torch[firstBad]}. Max error over ${name} ${maxError}, `
      + `tolerance ${ABSOLUTE} + ${RELATIVE}·|torch|`;
  expect(firstBad < 0, message).toBe(true);
}

/** Returns the index of element `flat` of a row-major tensor of the given shape, e.g. "[1, 37, 5]". */
function multiIndex(flat: number, shape: number[]): string {
  const index: number[] = [];
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    index.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${index.join(', ')}]`;
}

/** Returns the real (non-padding) elements of a tensor in row-major order, with their indices as labels. */
function realElements(flat: ArrayLike<number>, slot: ParameterSlot): { values: number[]; labels: string[] } {
  const values: number[] = [];
  const labels: string[] = [];
  for (const [start, end] of dataRanges(slot)) {
    for (let i = start; i < end; i++) {
      labels.push(multiIndex(values.length, slot.shape));
      values.push(flat[i]);
    }
  }
  return { values, labels };
}

/** Returns the flat indices that no tensor's real data covers. */
function paddingIndices(slots: ParameterSlot[], total: number): number[] {
  const isData = new Uint8Array(total);
  for (const slot of slots) {
    for (const [start, end] of dataRanges(slot)) isData.fill(1, start, end);
  }
  const padding: number[] = [];
  for (let i = 0; i < total; i++) if (!isData[i]) padding.push(i);
  return padding;
}

const { config, B, T } = fixture;
const M = B * T;
const layout = parameterLayout(config);
const params = Float64Array.from(fixture.params);
const inputs = Int32Array.from(fixture.inputs);
const targets = Int32Array.from(fixture.targets);

describe('torch golden fixture', () => {
  it('matches the current parameter layout', () => {
    const hint = 'the parameter layout changed: regenerate the fixture as scripts/golden/README.md describes';
    expect(fixture.params.length, hint).toBe(layout.total);
    for (const golden of fixture.cases) expect(golden.grads.length, `${golden.name}: ${hint}`).toBe(layout.total);
    expect(fixture.inputs.length, 'inputs (B,T)').toBe(M);
    expect(fixture.targets.length, 'targets (B,T)').toBe(M);
    expect(T, 'T must stay below blockSize so unused wpe rows are covered').toBeLessThan(config.blockSize);
  });

  it('covers partial and full masks', () => {
    const keptCounts = fixture.cases.map((golden) => golden.mask.reduce((sum, m) => sum + m, 0));
    expect(keptCounts.some((kept) => kept < M), 'a case with a partial mask').toBe(true);
    expect(keptCounts.some((kept) => kept === M), 'a case with mask all ones').toBe(true);
  });
});

for (const golden of fixture.cases) {
  describe(`reference GPT-2 against torch, case ${golden.name}`, () => {
    const mask = Float64Array.from(golden.mask);
    const acts = gpt2Forward(params, inputs, targets, config, { B, T });
    const grads = new Float64Array(layout.total);
    gpt2Backward(grads, params, acts, inputs, mask, golden.k, config, { B, T });

    it('matches per-token losses and entropies', () => {
      expectClose('losses', acts.losses, golden.losses);
      expectClose('entropies', acts.entropies, golden.entropies);
    });

    it('matches the masked-mean loss', () => {
      let keptSum = 0;
      for (let j = 0; j < M; j++) keptSum += mask[j] * acts.losses[j];
      expectClose('loss (1/k)·Σ mask·loss', [keptSum / golden.k], [golden.loss]);
    });

    for (const slot of layout.ordered) {
      it(`matches the gradient of ${slot.spec.name}`, () => {
        const ours = realElements(grads, slot);
        const torch = realElements(golden.grads, slot);
        expectClose(`d${slot.spec.name}`, ours.values, torch.values, ours.labels);
      });
    }

    it('leaves padding gradients at zero', () => {
      for (const i of paddingIndices(layout.ordered, layout.total)) {
        expect(grads[i], `grads[${i}] (padding)`).toBe(0);
        expect(golden.grads[i], `fixture grads[${i}] (padding)`).toBe(0);
      }
    });
  });
}
