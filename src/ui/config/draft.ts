// The set-up form as the user types it (strings, so an invalid value stays visible with
// its message), and its validation into an ExperimentConfig and run list. Values read
// from a URL or a file go through the same validation.

import { keptCount } from '../../reference/select.ts';
import { STRATEGY_INFO } from '../strategies.ts';
import { PRESETS, presetConfig, type PresetName } from '../../train/presets.ts';
import {
  LR_SCHEDULES, STRATEGIES, TOKENIZERS,
  type CorpusName, type ExperimentConfig, type LrSchedule, type RunSpec, type StrategyName, type TokenizerName,
} from '../../train/types.ts';

export const CORPUS_CHOICES = ['brown', 'nlp-corpus', 'user'] as const;
export type CorpusChoice = (typeof CORPUS_CHOICES)[number];

export const NUMERIC_FIELDS = [
  'nLayer', 'nHead', 'nEmbd', 'blockSize', 'batchSize', 'seqLen', 'steps', 'seed',
  'lr', 'warmupSteps', 'evalEvery', 'evalWindowsPerGenre', 'metricsEvery',
] as const;
export type NumericField = (typeof NUMERIC_FIELDS)[number];

export interface DraftRun {
  strategy: string;
  alpha: string;
}

export interface Draft extends Record<NumericField, string> {
  /** Preset the draft started from; 'custom' once a field differs from it. */
  preset: string;
  corpus: string;
  tokenizer: string;
  schedule: string;
  runs: DraftRun[];
}

/** Validation messages keyed by field name; run fields are `runs.<i>.strategy` and `runs.<i>.alpha`. */
export type DraftErrors = Record<string, string>;

export interface ValidDraft {
  config: ExperimentConfig;
  runs: RunSpec[];
  corpus: CorpusChoice;
}

export const DEFAULT_RUNS: DraftRun[] = [
  { strategy: 'clm', alpha: '0' },
  { strategy: 'eslm-loss', alpha: '0.5' },
];

export function draftFromConfig(preset: string, config: ExperimentConfig, corpus: CorpusChoice, runs: DraftRun[]): Draft {
  return {
    preset,
    corpus,
    tokenizer: config.tokenizer,
    schedule: config.optimizer.schedule,
    nLayer: String(config.model.nLayer),
    nHead: String(config.model.nHead),
    nEmbd: String(config.model.nEmbd),
    blockSize: String(config.model.blockSize),
    batchSize: String(config.batchSize),
    seqLen: String(config.seqLen),
    steps: String(config.steps),
    seed: String(config.seed),
    lr: String(config.optimizer.lr),
    warmupSteps: String(config.optimizer.warmupSteps),
    evalEvery: String(config.evalEvery),
    evalWindowsPerGenre: String(config.evalWindowsPerGenre),
    metricsEvery: String(config.metricsEvery),
    runs: runs.map((run) => ({ ...run })),
  };
}

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

/** Returns a draft of a preset's values with the given corpus and runs. */
export function draftFromPreset(name: PresetName, corpus: CorpusChoice = 'brown', runs: DraftRun[] = DEFAULT_RUNS): Draft {
  return draftFromConfig(name, presetConfig(name), corpus, runs);
}

interface IntegerRule {
  label: string;
  min: number;
  max: number;
}

const INTEGER_RULES: Record<Exclude<NumericField, 'lr'>, IntegerRule> = {
  nLayer: { label: 'Layers', min: 1, max: 48 },
  nHead: { label: 'Heads', min: 1, max: 64 },
  nEmbd: { label: 'Width', min: 1, max: 4096 },
  blockSize: { label: 'Context', min: 1, max: 4096 },
  batchSize: { label: 'Batch size', min: 1, max: 1024 },
  seqLen: { label: 'Sequence length', min: 1, max: 4096 },
  steps: { label: 'Steps', min: 1, max: 1_000_000 },
  seed: { label: 'Seed', min: 0, max: 2 ** 31 - 1 },
  warmupSteps: { label: 'Warm-up steps', min: 0, max: 1_000_000 },
  evalEvery: { label: 'Evaluate every', min: 0, max: 1_000_000 },
  evalWindowsPerGenre: { label: 'Validation windows per genre', min: 1, max: 1000 },
  metricsEvery: { label: 'Metrics every', min: 1, max: 10_000 },
};

function parseInteger(text: string, rule: IntegerRule): number | string {
  const trimmed = text.trim();
  if (trimmed === '') return `${rule.label} is missing: enter a whole number from ${rule.min} to ${rule.max}.`;
  if (!/^[+-]?\d+$/.test(trimmed)) return `${rule.label} must be a whole number, got "${text}".`;
  const value = Number(trimmed);
  if (value < rule.min || value > rule.max) return `${rule.label} must be from ${rule.min} to ${rule.max}, got ${value}.`;
  return value;
}

function parseNumber(text: string, label: string): number | string {
  const trimmed = text.trim();
  if (trimmed === '') return `${label} is missing.`;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return `${label} must be a number, got "${text}".`;
  return value;
}

/** Validates a draft; returns the typed configuration when there is no error. */
export function validateDraft(draft: Draft): { errors: DraftErrors; valid?: ValidDraft } {
  const errors: DraftErrors = {};
  const ints = {} as Record<keyof typeof INTEGER_RULES, number>;
  for (const [field, rule] of Object.entries(INTEGER_RULES) as [keyof typeof INTEGER_RULES, IntegerRule][]) {
    const parsed = parseInteger(draft[field], rule);
    if (typeof parsed === 'string') errors[field] = parsed;
    else ints[field] = parsed;
  }

  const lr = parseNumber(draft.lr, 'Learning rate');
  if (typeof lr === 'string') errors.lr = lr;
  else if (!(lr > 0 && lr <= 1)) errors.lr = `Learning rate must be above 0 and at most 1, got ${lr}.`;

  if (!(CORPUS_CHOICES as readonly string[]).includes(draft.corpus)) {
    errors.corpus = `Unknown corpus "${draft.corpus}"; choose one of ${CORPUS_CHOICES.join(', ')}.`;
  }
  if (!(TOKENIZERS as readonly string[]).includes(draft.tokenizer)) {
    errors.tokenizer = `Unknown tokenizer "${draft.tokenizer}"; choose one of ${TOKENIZERS.join(', ')}.`;
  }
  if (!(LR_SCHEDULES as readonly string[]).includes(draft.schedule)) {
    errors.schedule = `Unknown schedule "${draft.schedule}"; choose one of ${LR_SCHEDULES.join(', ')}.`;
  }

  // Relations between fields, checked only when both values parsed.
  if (ints.nEmbd !== undefined && ints.nHead !== undefined && ints.nEmbd % ints.nHead !== 0) {
    errors.nHead = `Width ${ints.nEmbd} is not divisible by ${ints.nHead} heads; choose heads that divide the width.`;
  }
  if (ints.seqLen !== undefined && ints.blockSize !== undefined && ints.seqLen > ints.blockSize) {
    errors.seqLen = `Sequence length ${ints.seqLen} exceeds the context ${ints.blockSize}; lower it or raise the context.`;
  }
  if (ints.steps !== undefined) {
    if (ints.warmupSteps !== undefined && ints.warmupSteps > ints.steps) {
      errors.warmupSteps = `Warm-up of ${ints.warmupSteps} steps is longer than the ${ints.steps} steps of training.`;
    }
    if (ints.evalEvery !== undefined && ints.evalEvery > ints.steps) {
      errors.evalEvery = `Evaluating every ${ints.evalEvery} steps exceeds the ${ints.steps} steps of training; use 0 to evaluate only at both ends.`;
    }
  }

  if (draft.runs.length === 0) errors.runs = 'Add at least one strategy to run.';
  const runs: RunSpec[] = [];
  draft.runs.forEach((run, i) => {
    if (!(STRATEGIES as readonly string[]).includes(run.strategy)) {
      errors[`runs.${i}.strategy`] = `Unknown strategy "${run.strategy}"; choose one of ${STRATEGIES.join(', ')}.`;
      return;
    }
    if (STRATEGY_INFO[run.strategy as StrategyName].needsCheckpoint) {
      errors[`runs.${i}.strategy`] = `${STRATEGY_INFO[run.strategy as StrategyName].label} needs a saved reference or teacher model, which the playground cannot load yet; choose another strategy.`;
      return;
    }
    const alpha = parseNumber(run.alpha, 'α');
    if (typeof alpha === 'string') errors[`runs.${i}.alpha`] = alpha;
    else if (!(alpha >= 0 && alpha < 1)) errors[`runs.${i}.alpha`] = `α must be at least 0 and below 1, got ${alpha}.`;
    else runs.push({ strategy: run.strategy as StrategyName, alpha });
  });

  if (Object.keys(errors).length > 0) return { errors };
  const base = isPresetName(draft.preset) ? presetConfig(draft.preset) : presetConfig('tiny');
  const config: ExperimentConfig = {
    ...base,
    // NOTE: the engine's CorpusName lists only 'brown'; it uses the name in log lines
    // and reports only, so the other corpora pass through under their own names.
    corpus: draft.corpus as CorpusName,
    tokenizer: draft.tokenizer as TokenizerName,
    model: { nLayer: ints.nLayer, nHead: ints.nHead, nEmbd: ints.nEmbd, blockSize: ints.blockSize },
    batchSize: ints.batchSize,
    seqLen: ints.seqLen,
    steps: ints.steps,
    seed: ints.seed,
    optimizer: { ...base.optimizer, lr: lr as number, warmupSteps: ints.warmupSteps, schedule: draft.schedule as LrSchedule },
    evalEvery: ints.evalEvery,
    evalWindowsPerGenre: ints.evalWindowsPerGenre,
    metricsEvery: ints.metricsEvery,
  };
  return { errors, valid: { config, runs, corpus: draft.corpus as CorpusChoice } };
}

/** Tokens each run keeps per step: M for CLM, ceil((1 − α)·M) otherwise. */
export function expectedKept(run: RunSpec, M: number): number {
  return run.strategy === 'clm' ? M : keptCount(run.alpha, M);
}
