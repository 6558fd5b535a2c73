// Records and options of a training experiment: what the engine produces and what the
// headless runner and the UI consume. Plain data only, so it crosses worker and page
// boundaries as JSON.

import type { AdapterSummary } from '../gpu/device.ts';
import type { GPT2Config } from '../model/config.ts';

export const STRATEGIES = ['clm', 'eslm-loss', 'eslm-entropy', 'ada-eslm', 'random', 'rho1', 'eslm-kd', 'hierarchical'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Defaults of the per-run options that a RunSpec may leave out. */
export const RUN_OPTION_DEFAULTS = {
  kdLambda: 0.5,
  kdTemperature: 2,
  sequenceAlpha: 0.5,
  exitLayers: 1,
} as const;

/** Strategies whose batch can be split into micro-batches for masked gradient accumulation. */
export const MICRO_BATCH_STRATEGIES: readonly StrategyName[] = ['clm', 'eslm-loss', 'eslm-entropy', 'ada-eslm'];

/** Strategies that need a frozen model: Rho-1's reference and distillation's teacher. */
export const STRATEGIES_WITH_CHECKPOINT: readonly StrategyName[] = ['rho1', 'eslm-kd'];

export const TOKENIZERS = ['char', 'gpt2'] as const;
export type TokenizerName = (typeof TOKENIZERS)[number];

/** Corpora prepared into public/corpora/ at install: the Brown corpus and nlp-corpus. */
export const CORPORA = ['brown', 'nlp-corpus'] as const;
export type CorpusName = (typeof CORPORA)[number];

export const LR_SCHEDULES = ['cosine', 'constant'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

export interface OptimizerConfig {
  /** Peak learning rate. */
  lr: number;
  /** Linear warmup steps from 0 to lr. */
  warmupSteps: number;
  schedule: LrSchedule;
  /** Final learning rate of the cosine schedule, as a fraction of lr. */
  minLrRatio: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay, applied to 2-D weight matrices only. */
  weightDecay: number;
  /** Global gradient-norm clip; 0 disables clipping. */
  gradClip: number;
}

export interface ExperimentConfig {
  corpus: CorpusName;
  tokenizer: TokenizerName;
  /** Model shape; vocabSize is filled in from the tokenizer. */
  model: Omit<GPT2Config, 'vocabSize'>;
  /** B: sequences per batch. */
  batchSize: number;
  /** T: positions per sequence (≤ model.blockSize). */
  seqLen: number;
  steps: number;
  seed: number;
  optimizer: OptimizerConfig;
  /** Evaluate every N steps (and at step 0 and the last step); 0 evaluates only at both ends. */
  evalEvery: number;
  /** Validation windows per Brown genre at each evaluation. */
  evalWindowsPerGenre: number;
  /** Steps between asynchronous readbacks of the GPU metric ring. */
  metricsEvery: number;
  /**
   * Micro-batches per batch for masked gradient accumulation (default 1): the batch is
   * scored whole, selected once, and its backward runs one micro-batch at a time.
   */
  microBatches?: number;
}

export interface RunSpec {
  strategy: StrategyName;
  /**
   * Confidence level α ∈ [0, 1); CLM keeps every token whatever α is. Ada-ESLM starts
   * from it and then adapts it within [alphaMin, alphaMax].
   */
  alpha: number;
  /** Ada-ESLM bounds of α (defaults 0.2 and 0.8). */
  alphaMin?: number;
  alphaMax?: number;
  /** Rho-1's reference model or distillation's teacher: the name of a checkpoint given to the experiment. */
  checkpoint?: string;
  /** Distillation weight λ of τ²·KL against (1 − λ)·CE (default 0.5). */
  kdLambda?: number;
  /** Distillation temperature τ (default 2). */
  kdTemperature?: number;
  /** Hierarchical ESLM: sequence-level confidence level in [0, 1) (default 0.5). */
  sequenceAlpha?: number;
  /** Hierarchical ESLM: blocks of the shallow early-exit pass, in [1, L] (default 1). */
  exitLayers?: number;
}

export interface StepRecord {
  step: number;
  /** Mean loss over all M tokens of the batch (comparable across strategies). */
  trainLoss: number;
  /** Mean loss over the kept tokens: the objective the step minimised (the CVaR for ESLM-loss). */
  selectedLoss: number;
  meanEntropy: number;
  /** VaR: the smallest kept score; null for the random control, which has no score. */
  threshold: number | null;
  /** Standard deviation of the batch's token losses. */
  lossStd: number;
  keptTokens: number;
  totalTokens: number;
  /**
   * Positions whose backward ran in the blocks below the last: those at or before their
   * sequence's last kept token (later ones get no gradient and are skipped).
   */
  activeTokens: number;
  gradNorm: number;
  lr: number;
  alpha: number;
  /** FLOPs of the kernels dispatched in this step, for their real shapes. */
  executedFlops: number;
  /** FLOPs by the usual 2N forward on all tokens + 4N backward on kept tokens accounting. */
  nominalFlops: number;
  cumulativeExecutedFlops: number;
  cumulativeNominalFlops: number;
  cumulativeTokens: number;
  /** Time the GPU queue spent on this step, from its submission (or the end of earlier work) to its completion. */
  ms: number;
  /** Wall-clock milliseconds since the run started. */
  elapsedMs: number;
}

export interface EvalRecord {
  step: number;
  /** Mean loss over all validation tokens of all genres. */
  valLoss: number;
  valPerplexity: number;
  perGenrePerplexity: Record<string, number>;
  worstGenre: string;
  worstGenrePerplexity: number;
}

/**
 * Executed FLOPs of one step by part, at the run's last kept count: what selection can
 * shrink (the cross-entropy and LM-head backward of the kept rows) against what every
 * token still costs.
 */
export interface FlopsBreakdown {
  /** Kept tokens the figures are computed for. */
  keptTokens: number;
  /** Forward passes: the model, any frozen reference or teacher, any shallow scoring pass. */
  forward: number;
  /** Selection and loss statistics. */
  selection: number;
  /** Backward work that runs only on the kept rows. */
  backwardKeptRows: number;
  /**
   * Backward work that runs whatever the selection: on every row, or on every row at or
   * before its sequence's last kept token (with the last step's count).
   */
  backwardAllRows: number;
  optimizer: number;
  /** Share of a step that scales with the kept count; the most selection can save. */
  keptRowShare: number;
}

export interface RunReport {
  name: string;
  strategy: StrategyName;
  alpha: number;
  /** The run's full settings as given (α bounds, distillation and hierarchical options). */
  spec: RunSpec;
  history: StepRecord[];
  evals: EvalRecord[];
  flopsBreakdown: FlopsBreakdown;
  /** Set when the run stopped early, e.g. on a non-finite loss. */
  error?: { step: number; message: string };
}

export interface ExperimentReport {
  createdAt: string;
  adapter: AdapterSummary;
  config: ExperimentConfig;
  model: GPT2Config;
  parameterCount: number;
  runs: RunReport[];
}

export interface ProgressEvent {
  kind: 'log' | 'step' | 'eval';
  message: string;
}
