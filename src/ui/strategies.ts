// Labels, scores and descriptions of each selection strategy for the UI. Adding a strategy to the engine's
// STRATEGIES list needs one entry here (the Record type enforces it).

import type { StrategyName } from '../train/types.ts';

export interface StrategyInfo {
  label: string;
  /** Token score the strategy selects by; null when every token is kept. */
  score: 'loss' | 'entropy' | 'uniform' | 'excess loss' | null;
  /** Whether α changes what the run does. */
  usesAlpha: boolean;
  description: string;
  /** Whether the run needs a saved checkpoint (a reference or teacher model). */
  needsCheckpoint: boolean;
}

export const STRATEGY_INFO: Record<StrategyName, StrategyInfo> = {
  clm: {
    label: 'CLM',
    score: null,
    usesAlpha: false,
    description: 'Ordinary causal language modelling: every token contributes to the loss.',
    needsCheckpoint: false,
  },
  'eslm-loss': {
    label: 'ESLM-loss',
    score: 'loss',
    usesAlpha: true,
    description: 'Keeps the ceil((1 − α)·M) tokens with the largest loss and minimises their mean (the CVaR).',
    needsCheckpoint: false,
  },
  'eslm-entropy': {
    label: 'ESLM-entropy',
    score: 'entropy',
    usesAlpha: true,
    description: 'Keeps the ceil((1 − α)·M) tokens with the largest predictive entropy and trains on their loss.',
    needsCheckpoint: false,
  },
  'ada-eslm': {
    label: 'Ada-ESLM',
    score: 'loss',
    usesAlpha: true,
    description: 'ESLM-loss whose α starts at the given value and is adapted during training within [αmin, αmax].',
    needsCheckpoint: false,
  },
  random: {
    label: 'Random',
    score: 'uniform',
    usesAlpha: true,
    description: 'Keeps as many tokens as ESLM, chosen uniformly at random: separates "which tokens" from "how many".',
    needsCheckpoint: false,
  },
  rho1: {
    label: 'Rho-1',
    score: 'excess loss',
    usesAlpha: true,
    description: 'Keeps the tokens whose loss most exceeds a frozen reference model\'s loss.',
    needsCheckpoint: true,
  },
  'eslm-kd': {
    label: 'ESLM-KD',
    score: 'loss',
    usesAlpha: true,
    description: 'ESLM-loss plus distillation from a frozen teacher on the kept tokens.',
    needsCheckpoint: true,
  },
  hierarchical: {
    label: 'Hierarchical ESLM',
    score: 'loss',
    usesAlpha: true,
    description: 'A shallow early-exit pass scores each sequence; only sequences above the sequence-level VaR (α_seq = 0.5) get the full forward and backward, with token-level ESLM at α.',
    needsCheckpoint: false,
  },
};

/** Run colours, assigned in order; colour-blind-safe (Okabe–Ito palette). */
export const RUN_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

export function runColor(index: number): string {
  return RUN_COLORS[index % RUN_COLORS.length]!;
}
