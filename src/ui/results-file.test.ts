// CSV export with per-genre perplexity, and reading exported JSON back.
import { describe, expect, test } from 'vitest';
import { presetConfig } from '../train/presets.ts';
import type { EvalRecord, ExperimentReport, StepRecord } from '../train/types.ts';
import { exportedReport, importedRuns, reportToCsv } from './results-file.ts';

const STEP: StepRecord = {
  step: 0, trainLoss: 4, selectedLoss: 4.5, meanEntropy: 4.2, threshold: null, lossStd: 0.3, keptTokens: 64, totalTokens: 128, activeTokens: 128,
  gradNorm: 1, lr: 0.001, alpha: 0.5, executedFlops: 10, nominalFlops: 12, cumulativeExecutedFlops: 10, cumulativeNominalFlops: 12,
  cumulativeTokens: 128, ms: 5, elapsedMs: 5,
};

const EVAL: EvalRecord = {
  step: 1, valLoss: 3, valPerplexity: 20.1, perGenrePerplexity: { cb: 25.5, ca: 18 }, worstGenre: 'cb', worstGenrePerplexity: 25.5,
};

function report(): ExperimentReport {
  return {
    createdAt: '2025-01-01T00:00:00.000Z',
    adapter: { vendor: 'test', architecture: 'none', description: '', isFallbackAdapter: true } as ExperimentReport['adapter'],
    config: presetConfig('tiny'),
    model: { ...presetConfig('tiny').model, vocabSize: 80 },
    parameterCount: 1000,
    runs: [{
      name: 'random@0.5', strategy: 'random', alpha: 0.5, spec: { strategy: 'random', alpha: 0.5 }, history: [STEP], evals: [EVAL],
      flopsBreakdown: { keptTokens: 64, forward: 5, selection: 1, backwardKeptRows: 2, backwardAllRows: 3, optimizer: 1, keptRowShare: 0.2 },
    }],
  };
}

describe('reportToCsv', () => {
  test('per-genre columns on evaluation rows', () => {
    const [header, train, evaluation] = reportToCsv(report()).trimEnd().split('\n').map((line) => line.split(','));
    const ca = header!.indexOf('perGenrePerplexity.ca');
    const cb = header!.indexOf('perGenrePerplexity.cb');
    expect(ca).toBeGreaterThan(header!.indexOf('worstGenrePerplexity'));
    expect(cb).toBe(ca + 1);
    expect(evaluation![ca]).toBe('18');
    expect(evaluation![cb]).toBe('25.5');
    expect(train![ca]).toBe('');
    expect(train).toHaveLength(header!.length);
    expect(evaluation).toHaveLength(header!.length);
  });

  test('random threshold cell is empty', () => {
    const [header, train] = reportToCsv(report()).split('\n').map((line) => line.split(','));
    expect(train![header!.indexOf('threshold')]).toBe('');
  });
});

describe('importedRuns', () => {
  test('keeps genre names and per-genre perplexity', () => {
    const text = JSON.stringify(exportedReport(report(), { ca: 'news', cb: 'editorial' }));
    const [run] = importedRuns(text, 'results.json', 0);
    expect(run?.genreNames).toEqual({ ca: 'news', cb: 'editorial' });
    expect(run?.evals[0]?.perGenrePerplexity).toEqual({ cb: 25.5, ca: 18 });
    expect(run?.steps[0]?.threshold).toBeNull();
  });

  test('file without per-genre fields loads', () => {
    const old = report();
    old.runs[0]!.evals = [{ step: 1, valLoss: 3, valPerplexity: 20.1 } as EvalRecord];
    expect(importedRuns(JSON.stringify(old), 'old.json', 0)).toHaveLength(1);
  });

  test('invalid per-genre field rejected', () => {
    const bad = report();
    (bad.runs[0]!.evals[0] as unknown as Record<string, unknown>).perGenrePerplexity = [1, 2];
    expect(() => importedRuns(JSON.stringify(bad), 'bad.json', 0))
      .toThrow('"bad.json", run 0: evaluation 0 has an invalid perGenrePerplexity, worstGenre or worstGenrePerplexity.');
  });
});
