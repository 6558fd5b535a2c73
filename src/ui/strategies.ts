// Labels, scores and descriptions of each selection strategy for the UI. Adding a strategy to the engine's
// STRATEGIES list needs one entry here (the Record type enforces it).

import { DEFAULT_ADA_OPTIONS } from '../train/ada.ts';
import { MICRO_BATCH_STRATEGIES, RUN_OPTION_DEFAULTS, type RunSpec, type StrategyName } from '../train/types.ts';

/** Per-run options beyond α, named as their RunSpec fields. */
export const RUN_OPTION_FIELDS = ['alphaMin', 'alphaMax', 'kdLambda', 'kdTemperature', 'sequenceAlpha', 'exitLayers'] as const satisfies readonly (keyof RunSpec)[];
export type RunOptionField = (typeof RUN_OPTION_FIELDS)[number];

export interface RunOptionInfo {
  label: string;
  /** Value the engine uses when the option is absent. */
  defaultValue: number;
  hint: string;
}

export const RUN_OPTION_INFO: Record<RunOptionField, RunOptionInfo> = {
  alphaMin: { label: 'α min', defaultValue: DEFAULT_ADA_OPTIONS.alphaMin, hint: 'lowest α Ada-ESLM may choose' },
  alphaMax: { label: 'α max', defaultValue: DEFAULT_ADA_OPTIONS.alphaMax, hint: 'highest α Ada-ESLM may choose' },
  kdLambda: { label: 'λ', defaultValue: RUN_OPTION_DEFAULTS.kdLambda, hint: 'weight of τ²·KL against (1 − λ)·CE' },
  kdTemperature: { label: 'τ', defaultValue: RUN_OPTION_DEFAULTS.kdTemperature, hint: 'distillation temperature' },
  sequenceAlpha: { label: 'sequence α', defaultValue: RUN_OPTION_DEFAULTS.sequenceAlpha, hint: 'share of sequences dropped by the shallow pass' },
  exitLayers: { label: 'exit layers', defaultValue: RUN_OPTION_DEFAULTS.exitLayers, hint: 'blocks in the shallow pass' },
};

export interface StrategyInfo {
  label: string;
  /** Token score the strategy selects by; null when every token is kept. */
  score: 'loss' | 'entropy' | 'uniform' | 'excess loss' | null;
  /** Whether α changes what the run does. */
  usesAlpha: boolean;
  description: string;
  /** The frozen model the run needs, loaded from a checkpoint file; null when it needs none. */
  frozenModel: 'reference' | 'teacher' | null;
  /** Options shown in the strategy's row and carried in the link, in that order. */
  options: readonly RunOptionField[];
}

/** Return whether the engine can split this strategy's batch into micro-batches. */
export function supportsMicroBatches(strategy: StrategyName): boolean {
  return MICRO_BATCH_STRATEGIES.includes(strategy);
}

export const STRATEGY_INFO: Record<StrategyName, StrategyInfo> = {
  clm: {
    label: 'CLM',
    score: null,
    usesAlpha: false,
    description: 'Ordinary causal language modelling: every token contributes to the loss.',
    frozenModel: null,
    options: [],
  },
  'eslm-loss': {
    label: 'ESLM-loss',
    score: 'loss',
    usesAlpha: true,
    description: 'Keeps the ceil((1 − α)·M) tokens with the largest loss and minimises their mean (the CVaR).',
    frozenModel: null,
    options: [],
  },
  'eslm-entropy': {
    label: 'ESLM-entropy',
    score: 'entropy',
    usesAlpha: true,
    description: 'Keeps the ceil((1 − α)·M) tokens with the largest predictive entropy and trains on their loss.',
    frozenModel: null,
    options: [],
  },
  'ada-eslm': {
    label: 'Ada-ESLM',
    score: 'loss',
    usesAlpha: true,
    description: 'ESLM-loss whose α starts at the given value and is adapted during training within [αmin, αmax].',
    frozenModel: null,
    options: ['alphaMin', 'alphaMax'],
  },
  random: {
    label: 'Random',
    score: 'uniform',
    usesAlpha: true,
    description: 'Keeps as many tokens as ESLM, chosen uniformly at random: separates "which tokens" from "how many".',
    frozenModel: null,
    options: [],
  },
  rho1: {
    label: 'Rho-1',
    score: 'excess loss',
    usesAlpha: true,
    description: 'Keeps the tokens whose loss most exceeds a frozen reference model\'s loss.',
    frozenModel: 'reference',
    options: [],
  },
  'eslm-kd': {
    label: 'ESLM-KD',
    score: 'loss',
    usesAlpha: true,
    description: 'ESLM-loss plus distillation from a frozen teacher on the kept tokens.',
    frozenModel: 'teacher',
    options: ['kdLambda', 'kdTemperature'],
  },
  hierarchical: {
    label: 'Hierarchical ESLM',
    score: 'loss',
    usesAlpha: true,
    description: 'A shallow early-exit pass drops the lowest-scoring sequences, then ESLM-loss selects tokens in the rest.',
    frozenModel: null,
    options: ['sequenceAlpha', 'exitLayers'],
  },
};

/** Returns the strategy's entry, or undefined for a name that is not a strategy (e.g. from a link). */
export function strategyInfo(name: string): StrategyInfo | undefined {
  return Object.hasOwn(STRATEGY_INFO, name) ? STRATEGY_INFO[name as StrategyName] : undefined;
}

/** Run colours, assigned in order; colour-blind-safe (Okabe–Ito palette). */
export const RUN_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

export function runColor(index: number): string {
  return RUN_COLORS[index % RUN_COLORS.length]!;
}
