import { describe, expect, it } from 'vitest';
import { AdaController, DEFAULT_ADA_OPTIONS } from './ada.ts';

const window = (cv: number) => Array.from({ length: 5 }, () => ({ trainLoss: 2, lossStd: 2 * cv }));

describe('AdaController', () => {
  it('starts at the run alpha clamped into bounds', () => {
    expect(new AdaController(0.5).alpha).toBe(0.5);
    expect(new AdaController(0.95).alpha).toBe(DEFAULT_ADA_OPTIONS.alphaMax);
    expect(new AdaController(0).alpha).toBe(DEFAULT_ADA_OPTIONS.alphaMin);
  });

  it('rises toward alphaMax when losses are spread out', () => {
    const ada = new AdaController(0.5);
    const first = ada.update(window(2));
    expect(first).toBeGreaterThan(0.5);
    for (let i = 0; i < 50; i++) ada.update(window(2));
    expect(ada.alpha).toBeCloseTo(DEFAULT_ADA_OPTIONS.alphaMax, 6);
    expect(ada.alpha).toBeLessThanOrEqual(DEFAULT_ADA_OPTIONS.alphaMax);
  });

  it('falls toward alphaMin when losses are even', () => {
    const ada = new AdaController(0.5);
    expect(ada.update(window(0.1))).toBeLessThan(0.5);
    for (let i = 0; i < 50; i++) ada.update(window(0));
    expect(ada.alpha).toBeCloseTo(DEFAULT_ADA_OPTIONS.alphaMin, 6);
    expect(ada.alpha).toBeGreaterThanOrEqual(DEFAULT_ADA_OPTIONS.alphaMin);
  });

  it('moves by rate times the gap to the target', () => {
    const ada = new AdaController(0.5);
    const target = ada.target(0.7); // halfway between cvLow 0.4 and cvHigh 1.0
    expect(target).toBeCloseTo(0.5, 12);
    const cvHigh = ada.target(1.0);
    expect(ada.update(window(1.0))).toBeCloseTo(0.5 + DEFAULT_ADA_OPTIONS.rate * (cvHigh - 0.5), 12);
  });

  it('ignores empty or non-finite windows', () => {
    const ada = new AdaController(0.4);
    expect(ada.update([])).toBe(0.4);
    expect(ada.update([{ trainLoss: 0, lossStd: 1 }, { trainLoss: 1, lossStd: NaN }])).toBe(0.4);
  });

  it('rejects invalid bounds', () => {
    expect(() => new AdaController(0.5, { ...DEFAULT_ADA_OPTIONS, alphaMin: 0.9, alphaMax: 0.2 })).toThrow(/bounds/);
    expect(() => new AdaController(0.5, { ...DEFAULT_ADA_OPTIONS, alphaMax: 1 })).toThrow(/bounds/);
    expect(() => new AdaController(0.5, { ...DEFAULT_ADA_OPTIONS, rate: 0 })).toThrow(/rate/);
  });
});
