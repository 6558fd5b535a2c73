// Named experiment configurations. `tiny` is sized for a software adapter in CI
// (about 0.1 GFLOP per step); the others need a real GPU to be pleasant.

import type { ExperimentConfig } from './types.ts';

const baseOptimizer = {
  lr: 3e-3,
  warmupSteps: 10,
  schedule: 'cosine',
  minLrRatio: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
  gradClip: 1.0,
} as const;

export const PRESETS = {
  tiny: {
    corpus: 'brown',
    tokenizer: 'char',
    model: { nLayer: 2, nHead: 4, nEmbd: 64, blockSize: 32 },
    batchSize: 4,
    seqLen: 32,
    steps: 150,
    seed: 1,
    optimizer: { ...baseOptimizer },
    evalEvery: 25,
    evalWindowsPerGenre: 8,
    metricsEvery: 10,
  },
  // Sized to show ESLM's effect on the curves in about a minute on a laptop GPU (an
  // estimate from its FLOPs, not a measurement): far too slow on a software adapter.
  demo: {
    corpus: 'brown',
    tokenizer: 'char',
    model: { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64 },
    batchSize: 16,
    seqLen: 64,
    steps: 400,
    seed: 1,
    optimizer: { ...baseOptimizer, lr: 2e-3, warmupSteps: 20 },
    evalEvery: 50,
    evalWindowsPerGenre: 8,
    metricsEvery: 10,
  },
  small: {
    corpus: 'brown',
    tokenizer: 'char',
    model: { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 128 },
    batchSize: 16,
    seqLen: 128,
    steps: 1000,
    seed: 1,
    optimizer: { ...baseOptimizer, lr: 2e-3, warmupSteps: 50 },
    evalEvery: 100,
    evalWindowsPerGenre: 16,
    metricsEvery: 20,
  },
  'gpt2-bpe': {
    corpus: 'brown',
    tokenizer: 'gpt2',
    model: { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 64 },
    batchSize: 8,
    seqLen: 64,
    steps: 500,
    seed: 1,
    optimizer: { ...baseOptimizer, lr: 1e-3, warmupSteps: 50 },
    evalEvery: 100,
    evalWindowsPerGenre: 8,
    metricsEvery: 20,
  },
} satisfies Record<string, ExperimentConfig>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** Return a deep copy of a preset, safe to modify. */
export function presetConfig(name: PresetName): ExperimentConfig {
  return structuredClone(PRESETS[name]) as ExperimentConfig;
}
