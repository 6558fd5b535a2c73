// The set-up form as the user types it (strings, so an invalid value stays visible with
// its message), and its validation into an ExperimentConfig and run list. Values read
// from a URL or a file go through the same validation.

import { keptCount } from '../../reference/select.ts';
import { RUN_OPTION_INFO, STRATEGY_INFO, strategyInfo, supportsMicroBatches, type RunOptionField, type StrategyInfo } from '../strategies.ts';
import { PRESETS, presetConfig, type PresetName } from '../../train/presets.ts';
import {
  LR_SCHEDULES, MICRO_BATCH_STRATEGIES, STRATEGIES, TOKENIZERS,
  type CorpusName, type ExperimentConfig, type LrSchedule, type RunSpec, type StrategyName, type TokenizerName,
} from '../../train/types.ts';
import type { CheckpointCheck } from '../../worker/protocol.ts';

export const CORPUS_CHOICES = ['brown', 'nlp-corpus', 'user'] as const;
export type CorpusChoice = (typeof CORPUS_CHOICES)[number];

export const NUMERIC_FIELDS = [
  'nLayer', 'nHead', 'nEmbd', 'blockSize', 'batchSize', 'seqLen', 'steps', 'seed',
  'lr', 'warmupSteps', 'evalEvery', 'evalWindowsPerGenre', 'metricsEvery', 'microBatches',
] as const;
export type NumericField = (typeof NUMERIC_FIELDS)[number];

/**
 * A reference or teacher model file chosen in a run's row. The file cannot travel in a
 * link, so it lives only in the page's memory.
 */
export interface CheckpointFile {
  /** Unique per chosen file, so a check result finds its run after rows move. */
  id: number;
  fileName: string;
  bytes: Uint8Array;
  /** The worker's check of the file; undefined while it runs. */
  check?: CheckpointCheck;
  /** Set-up (corpus and tokenizer) the check compared the file against; see checkpointContext. */
  checkedFor?: string;
}

export interface DraftRun extends Partial<Record<RunOptionField, string>> {
  strategy: string;
  alpha: string;
  checkpoint?: CheckpointFile;
}

export interface Draft extends Record<NumericField, string> {
  /** Preset the draft started from; 'custom' once a field differs from it. */
  preset: string;
  corpus: string;
  tokenizer: string;
  schedule: string;
  runs: DraftRun[];
}

/**
 * Validation messages keyed by field name; run fields are `runs.<i>.strategy`,
 * `runs.<i>.alpha`, `runs.<i>.checkpoint` and `runs.<i>.<option>`.
 */
export type DraftErrors = Record<string, string>;

export interface ValidDraft {
  config: ExperimentConfig;
  runs: RunSpec[];
  corpus: CorpusChoice;
  /** Checkpoint files by the name the runs' `checkpoint` field gives. */
  checkpoints: Record<string, Uint8Array>;
}

export interface DraftValidation {
  errors: DraftErrors;
  /** Checkpoint files still being checked, by run field key; the draft is not valid until they are done. */
  pending: Record<string, string>;
  valid?: ValidDraft;
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
    microBatches: String(config.microBatches ?? 1),
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
  microBatches: { label: 'Micro-batches', min: 1, max: 1024 },
};

/**
 * Returns the run with every option of its strategy present, defaults filling the
 * missing ones, so the form shows them and a link carries them.
 */
export function withStrategyOptions(run: DraftRun): DraftRun {
  const info = strategyInfo(run.strategy);
  if (!info) return run;
  const filled: DraftRun = { ...run };
  for (const field of info.options) filled[field] ??= String(RUN_OPTION_INFO[field].defaultValue);
  return filled;
}

/**
 * Key of the set-up a checkpoint file must match: its corpus text and tokenizer. A
 * check made for another key is stale.
 */
export function checkpointContext(draft: Draft, userFile: { name: string; text: string } | undefined): string {
  const corpus = draft.corpus === 'user' ? `user:${userFile?.name ?? ''}:${userFile?.text.length ?? 0}` : draft.corpus;
  return `${corpus}|${draft.tokenizer}`;
}

/** Name of a run's checkpoint file for the engine, unique among the runs. */
function checkpointName(runs: readonly DraftRun[], index: number, fileName: string): string {
  const shared = runs.filter((run) => run.checkpoint?.fileName === fileName).length > 1;
  return shared ? `${fileName} (run ${index + 1})` : fileName;
}

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

interface RunContext {
  draft: Draft;
  nLayer?: number;
  seqLen?: number;
  /** Current checkpointContext; without it, a finished check is never considered stale. */
  checkpointContext?: string;
  errors: DraftErrors;
  pending: Record<string, string>;
  checkpoints: Record<string, Uint8Array>;
}

/** Parses one run option, or records its message and returns undefined; the ranges follow the engine's checks. */
function parseRunOption(field: RunOptionField, text: string | undefined, key: string, context: RunContext): number | undefined {
  const { label, defaultValue } = RUN_OPTION_INFO[field];
  if (field === 'exitLayers') {
    const layers = context.nLayer ?? 48;
    const parsed = parseInteger(text ?? String(defaultValue), { label: 'Exit layers', min: 1, max: layers });
    if (typeof parsed === 'string') {
      context.errors[key] = context.nLayer === undefined ? parsed : `${parsed} The shallow pass cannot have more blocks than the model's ${layers} layers.`;
      return undefined;
    }
    return parsed;
  }
  const value = parseNumber(text ?? String(defaultValue), label);
  if (typeof value === 'string') {
    context.errors[key] = value;
    return undefined;
  }
  const inUnitInterval = value >= 0 && value < 1;
  const invalid: Record<Exclude<RunOptionField, 'exitLayers'>, string | undefined> = {
    alphaMin: inUnitInterval ? undefined : `α min must be at least 0 and below 1, got ${value}.`,
    alphaMax: inUnitInterval ? undefined : `α max must be at least 0 and below 1, got ${value}.`,
    kdLambda: value >= 0 && value <= 1 ? undefined : `λ must be from 0 to 1, got ${value}.`,
    kdTemperature: value > 0 && value <= 100 ? undefined : `τ must be above 0 and at most 100, got ${value}.`,
    sequenceAlpha: inUnitInterval ? undefined : `Sequence α must be at least 0 and below 1, got ${value}.`,
  };
  const message = invalid[field];
  if (message) {
    context.errors[key] = message;
    return undefined;
  }
  return value;
}

/**
 * Checks a run's checkpoint file and records its bytes under a name for the engine.
 * Returns that name, or undefined when the file is missing, invalid, does not fit the
 * set-up, or is still being checked.
 */
function validateCheckpoint(run: DraftRun, i: number, info: StrategyInfo, context: RunContext): string | undefined {
  const key = `runs.${i}.checkpoint`;
  const role = info.frozenModel!;
  const file = run.checkpoint;
  if (!file) {
    context.errors[key] = `${info.label} needs a ${role} model: load a .safetensors checkpoint saved by this playground with the same tokenizer (train a run, then "Save model").`;
    return undefined;
  }
  const stale = context.checkpointContext !== undefined && file.checkedFor !== context.checkpointContext;
  if (!file.check || stale) {
    context.pending[key] = `Checking "${file.fileName}"…`;
    return undefined;
  }
  if (!file.check.ok) {
    context.errors[key] = file.check.message;
    return undefined;
  }
  if (file.check.mismatch) {
    context.errors[key] = file.check.mismatch;
    return undefined;
  }
  if (context.seqLen !== undefined && file.check.blockSize < context.seqLen) {
    context.errors[key] = `The ${role} model in "${file.fileName}" has context ${file.check.blockSize}, shorter than the sequence length ${context.seqLen}; lower the sequence length or load a model with a longer context.`;
    return undefined;
  }
  const name = checkpointName(context.draft.runs, i, file.fileName);
  context.checkpoints[name] = file.bytes;
  return name;
}

function validateRun(run: DraftRun, i: number, context: RunContext): RunSpec | undefined {
  const info = strategyInfo(run.strategy);
  if (!info || !(STRATEGIES as readonly string[]).includes(run.strategy)) {
    context.errors[`runs.${i}.strategy`] = `Unknown strategy "${run.strategy}"; choose one of ${STRATEGIES.join(', ')}.`;
    return undefined;
  }
  let valid = true;
  const alpha = parseNumber(run.alpha, 'α');
  if (typeof alpha === 'string') context.errors[`runs.${i}.alpha`] = alpha;
  else if (!(alpha >= 0 && alpha < 1)) context.errors[`runs.${i}.alpha`] = `α must be at least 0 and below 1, got ${alpha}.`;
  if (`runs.${i}.alpha` in context.errors) valid = false;

  const spec: RunSpec = { strategy: run.strategy as StrategyName, alpha: alpha as number };
  for (const field of info.options) {
    const value = parseRunOption(field, run[field], `runs.${i}.${field}`, context);
    if (value === undefined) valid = false;
    else spec[field] = value;
  }
  if (spec.alphaMin !== undefined && spec.alphaMax !== undefined && spec.alphaMin > spec.alphaMax) {
    context.errors[`runs.${i}.alphaMax`] = `α max ${spec.alphaMax} is below α min ${spec.alphaMin}; raise α max or lower α min.`;
    valid = false;
  }

  if (info.frozenModel) {
    const name = validateCheckpoint(run, i, info, context);
    if (name === undefined) valid = false;
    else spec.checkpoint = name;
  }
  return valid ? spec : undefined;
}

/**
 * Validates a draft; returns the typed configuration when there is no error and no
 * checkpoint file is still being checked. Pass the current checkpointContext so a check
 * made for another corpus or tokenizer counts as pending.
 */
export function validateDraft(draft: Draft, options: { checkpointContext?: string } = {}): DraftValidation {
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

  if (ints.microBatches !== undefined && ints.batchSize !== undefined && ints.batchSize % ints.microBatches !== 0) {
    errors.microBatches = `${ints.microBatches} micro-batches do not divide the batch size ${ints.batchSize}; choose a divisor of B.`;
  }
  if (ints.microBatches !== undefined && ints.microBatches > 1) {
    const unsupported = draft.runs
      .map((run) => ({ run, info: strategyInfo(run.strategy) }))
      .filter(({ run, info }) => info !== undefined && !supportsMicroBatches(run.strategy as StrategyName))
      .map(({ info }) => info!);
    if (unsupported.length > 0) {
      const supported = MICRO_BATCH_STRATEGIES.map((name) => STRATEGY_INFO[name].label);
      errors.microBatches = `Micro-batches above 1 work only with ${supported.join(', ')}; ${unsupported[0]!.label} needs 1.`;
    }
  }

  if (draft.runs.length === 0) errors.runs = 'Add at least one strategy to run.';
  const pending: Record<string, string> = {};
  const context: RunContext = {
    draft, nLayer: ints.nLayer, seqLen: ints.seqLen, checkpointContext: options.checkpointContext, errors, pending, checkpoints: {},
  };
  const runs: RunSpec[] = [];
  draft.runs.forEach((run, i) => {
    const spec = validateRun(run, i, context);
    if (spec) runs.push(spec);
  });

  if (Object.keys(errors).length > 0 || Object.keys(pending).length > 0) return { errors, pending };
  const base = isPresetName(draft.preset) ? presetConfig(draft.preset) : presetConfig('tiny');
  const config: ExperimentConfig = {
    ...base,
    // NOTE: 'user' is not an engine CorpusName. The worker passes every corpus's documents
    // itself, so the engine uses the name only in log lines and reports.
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
    microBatches: ints.microBatches,
  };
  return { errors, pending, valid: { config, runs, corpus: draft.corpus as CorpusChoice, checkpoints: context.checkpoints } };
}

/** Tokens each run keeps per step: M for CLM, ceil((1 − α)·M) otherwise. */
export function expectedKept(run: RunSpec, M: number): number {
  return run.strategy === 'clm' ? M : keptCount(run.alpha, M);
}
