import { describe, expect, it } from 'vitest';
import { adamwUpdate, clipScale, gradNorm } from './index.ts';

const TOLERANCE = 1e-12;

function expectClose(name: string, actual: ArrayLike<number>, expected: number[]): void {
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    const message = `${name}[${i}]: got ${actual[i]}, expected ${expected[i]}, error ${error} > ${TOLERANCE}`;
    expect(error <= TOLERANCE, message).toBe(true);
  }
}

describe('adamwUpdate', () => {
  const options = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 };

  it('matches a hand-computed first step', () => {
    const params = Float64Array.from([1, -2, 0.5]);
    const grads = Float64Array.from([0.1, -0.2, 0]);
    const m = new Float64Array(3);
    const v = new Float64Array(3);

    adamwUpdate(params, grads, m, v, options);

    // m = 0.1·g, v = 0.001·g². At t = 1 the corrections give m̂ = g and v̂ = g², so
    // p −= 0.1·(g/(|g| + 1e-8) + 0.01·p):
    //   p0 = 1 − 0.1·(0.1/0.10000001 + 0.01) = 1 − 0.1·(0.99999990000001 + 0.01)
    //   p1 = −2 − 0.1·(−0.2/0.20000001 − 0.02) = −2 + 0.1·(0.9999999500000025 + 0.02)
    //   p2 = 0.5 − 0.1·(0 + 0.005)
    expectClose('m', m, [0.01, -0.02, 0]);
    expectClose('v', v, [1e-5, 4e-5, 0]);
    expectClose('params', params, [0.899000009999999, -1.898000004999999750, 0.4995]);
  });

  it('applies gradScale before the moments', () => {
    const scaled = { params: Float64Array.from([1, -2, 0.5]), m: new Float64Array(3), v: new Float64Array(3) };
    const prescaled = { params: Float64Array.from([1, -2, 0.5]), m: new Float64Array(3), v: new Float64Array(3) };

    adamwUpdate(scaled.params, Float64Array.from([0.4, -0.8, 2]), scaled.m, scaled.v, { ...options, gradScale: 0.25 });
    adamwUpdate(prescaled.params, Float64Array.from([0.1, -0.2, 0.5]), prescaled.m, prescaled.v, options);

    expectClose('params', scaled.params, Array.from(prescaled.params));
    expectClose('m', scaled.m, Array.from(prescaled.m));
    expectClose('v', scaled.v, Array.from(prescaled.v));
  });

  it('uses bias corrections of step t', () => {
    const params = Float64Array.from([1]);
    const m = Float64Array.from([0.05]);
    const v = Float64Array.from([0.002]);

    adamwUpdate(params, Float64Array.from([0.5]), m, v, { ...options, weightDecay: 0, step: 3 });

    // m = 0.9·0.05 + 0.1·0.5 = 0.095, v = 0.999·0.002 + 0.001·0.25 = 0.002248.
    const mHat = 0.095 / (1 - 0.9 ** 3);
    const vHat = 0.002248 / (1 - 0.999 ** 3);
    expectClose('m', m, [0.095]);
    expectClose('v', v, [0.002248]);
    expectClose('params', params, [1 - 0.1 * mHat / (Math.sqrt(vHat) + 1e-8)]);
  });

  it('rejects mismatched buffers and invalid steps', () => {
    const three = () => new Float64Array(3);
    expect(() => adamwUpdate(three(), new Float64Array(2), three(), three(), options)).toThrow(/equal lengths/);
    expect(() => adamwUpdate(three(), three(), three(), three(), { ...options, step: 0 })).toThrow(/step 0/);
  });
});

describe('gradient clipping', () => {
  it('gradNorm is the L2 norm', () => {
    expect(gradNorm(Float64Array.from([3, -4, 0]))).toBe(5);
  });

  it('clipScale scales only norms above the maximum', () => {
    expect(clipScale(5, 1)).toBe(1 / (5 + 1e-6));
    expect(clipScale(0.5, 1)).toBe(1);
    expect(clipScale(1, 1)).toBe(1);
    expect(clipScale(5, 0)).toBe(1);
  });
});
