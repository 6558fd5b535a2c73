// Paired experiments on the real Brown corpus in the browser: kept counts, falling
// validation perplexity, α = 0 equal to CLM, and a reproducible batch stream.

import { describe, expect, test } from 'vitest';
import { keptCount } from '../reference/select.ts';
import { PairedExperiment, runExperiment } from './experiment.ts';
import { presetConfig } from './presets.ts';
import type { ExperimentConfig } from './types.ts';

function tinyConfig(steps: number): ExperimentConfig {
  const config = presetConfig('tiny');
  config.steps = steps;
  config.evalEvery = steps;
  config.evalWindowsPerGenre = 4;
  config.metricsEvery = 5;
  return config;
}

describe('paired experiment', () => {
  test('clm and eslm-loss train and keep the right counts', async () => {
    const config = tinyConfig(40);
    const report = await runExperiment(config, [{ strategy: 'clm', alpha: 0.5 }, { strategy: 'eslm-loss', alpha: 0.5 }]);
    expect(report.runs).toHaveLength(2);
    const M = config.batchSize * config.seqLen;
    const [clm, eslm] = report.runs;
    for (const run of report.runs) {
      expect(run.error).toBeUndefined();
      expect(run.history.map((r) => r.step)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(run.evals.map((e) => e.step)).toEqual([0, 40]);
      expect(run.evals[1].valPerplexity).toBeLessThan(run.evals[0].valPerplexity * 0.8);
      expect(Object.keys(run.evals[0].perGenrePerplexity)).toHaveLength(15);
      for (const record of run.history) {
        expect(record.totalTokens).toBe(M);
        expect(record.executedFlops).toBeGreaterThan(0);
        expect(record.nominalFlops).toBeGreaterThan(0);
        expect(Number.isFinite(record.ms)).toBe(true);
      }
    }
    for (const record of clm.history) expect(record.keptTokens).toBe(M);
    for (const record of eslm.history) {
      expect(record.keptTokens).toBe(keptCount(0.5, M));
      expect(record.selectedLoss).toBeGreaterThanOrEqual(record.trainLoss);
    }
    // Nominal backward FLOPs scale with the kept count.
    expect(eslm.history[0].nominalFlops).toBeLessThan(clm.history[0].nominalFlops);
    // The breakdown adds up to the last step's executed FLOPs.
    for (const run of report.runs) {
      const b = run.flopsBreakdown;
      const last = run.history.at(-1)!;
      expect(b.forward + b.selection + b.backwardKeptRows + b.backwardAllRows + b.optimizer).toBeCloseTo(last.executedFlops, -1);
      expect(b.keptTokens).toBe(last.keptTokens);
    }
    // CLM keeps every position active; ESLM skips positions after each sequence's last kept token.
    for (const record of clm.history) expect(record.activeTokens).toBe(M);
    for (const record of eslm.history) expect(record.activeTokens).toBeLessThanOrEqual(M);
    // Kept-row work is a fixed part (the head's gradient accumulate) plus a part per kept row.
    expect(eslm.flopsBreakdown.backwardKeptRows).toBeLessThan(clm.flopsBreakdown.backwardKeptRows);
    expect(eslm.flopsBreakdown.backwardKeptRows).toBeGreaterThan(clm.flopsBreakdown.backwardKeptRows * keptCount(0.5, M) / M);
    expect(eslm.flopsBreakdown.backwardAllRows).toBeLessThanOrEqual(clm.flopsBreakdown.backwardAllRows);
  });

  test('eslm-loss at alpha 0 reproduces clm train losses exactly', async () => {
    const report = await runExperiment(tinyConfig(10), [{ strategy: 'clm', alpha: 0 }, { strategy: 'eslm-loss', alpha: 0 }]);
    const [clm, eslm] = report.runs;
    expect(eslm.history.map((r) => r.trainLoss)).toEqual(clm.history.map((r) => r.trainLoss));
    expect(eslm.evals.map((e) => e.valLoss)).toEqual(clm.evals.map((e) => e.valLoss));
  });

  test('random, ada-eslm, rho1 and eslm-kd train together', async () => {
    // A reference/teacher model: CLM for a few steps, saved as a checkpoint.
    const base = await PairedExperiment.create(tinyConfig(6), [{ strategy: 'clm', alpha: 0 }]);
    let checkpoint: Uint8Array;
    try {
      while (!base.finished) await base.trainStep();
      checkpoint = (await base.saveCheckpoints()).clm;
    } finally {
      base.destroy();
    }

    const config = tinyConfig(20);
    const M = config.batchSize * config.seqLen;
    const report = await runExperiment(config, [
      { strategy: 'random', alpha: 0.5 },
      { strategy: 'ada-eslm', alpha: 0.5, alphaMin: 0.3, alphaMax: 0.7 },
      { strategy: 'rho1', alpha: 0.5, checkpoint: 'ref' },
      { strategy: 'eslm-kd', alpha: 0.5, checkpoint: 'ref', kdLambda: 0.5, kdTemperature: 2 },
    ], {}, { checkpoints: { ref: checkpoint } });
    const [random, ada, rho1, kd] = report.runs;
    for (const run of report.runs) {
      expect(run.error).toBeUndefined();
      expect(run.history).toHaveLength(20);
      expect(run.evals[1].valPerplexity).toBeLessThan(run.evals[0].valPerplexity);
    }
    for (const record of random.history) {
      expect(record.keptTokens).toBe(keptCount(0.5, M));
      expect(record.threshold).toBeNull();
    }
    for (const record of ada.history) {
      expect(record.alpha).toBeGreaterThanOrEqual(0.3);
      expect(record.alpha).toBeLessThanOrEqual(0.7);
      expect(record.keptTokens).toBe(keptCount(record.alpha, M));
    }
    expect(new Set(ada.history.map((r) => r.alpha)).size).toBeGreaterThan(1);
    // The frozen model's forward is executed work: rho1 and eslm-kd cost more than random.
    expect(rho1.history[0].executedFlops).toBeGreaterThan(random.history[0].executedFlops);
    expect(kd.history[0].nominalFlops).toBeGreaterThan(random.history[0].nominalFlops);
    for (const record of rho1.history) expect(record.keptTokens).toBe(keptCount(0.5, M));
  });

  test('inspect and sample between steps', async () => {
    const experiment = await PairedExperiment.create(tinyConfig(3), [{ strategy: 'eslm-entropy', alpha: 0.75 }]);
    try {
      await experiment.trainStep();
      const view = await experiment.inspect(0);
      const M = experiment.runs[0].model.M;
      expect(view.mask.reduce((a, b) => a + b, 0)).toBe(keptCount(0.75, M));
      expect(view.score).toBe('entropy');
      // Every kept token's entropy is at least every dropped token's.
      const kept = view.entropies.filter((_, i) => view.mask[i] === 1);
      const dropped = view.entropies.filter((_, i) => view.mask[i] === 0);
      expect(Math.min(...kept)).toBeGreaterThanOrEqual(Math.max(...dropped));
      const text = await experiment.sample(0, 'The ', { maxTokens: 12, temperature: 1, topK: 10, seed: 3 });
      expect(text.length).toBeGreaterThan(0);
      const again = await experiment.sample(0, 'The ', { maxTokens: 12, temperature: 1, topK: 10, seed: 3 });
      expect(again).toBe(text);
      // Sampling and evaluation reuse the batch buffers; inspection still returns the training batch.
      await experiment.evaluateAll();
      const after = await experiment.inspect(0);
      expect(after.step).toBe(0);
      expect(Array.from(after.inputs)).toEqual(Array.from(view.inputs));
      expect(Array.from(after.mask)).toEqual(Array.from(view.mask));
      expect(Array.from(after.entropies)).toEqual(Array.from(view.entropies));
    } finally {
      experiment.destroy();
    }
  });
});
