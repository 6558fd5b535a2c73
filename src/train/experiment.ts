// A paired experiment: several strategies trained from one initialisation on one batch
// stream, stepping in turn on one device. Used by the headless runner and the app's
// worker; it imports nothing from the UI.

import { BatchSampler, evalBatches } from '../data/batches.ts';
import type { BrownDocument } from '../data/brown.ts';
import { tokenizeCorpus, type TokenizedCorpus } from '../data/corpus.ts';
import { corpusUrl, loadBrownDocuments } from '../data/load.ts';
import { NLP_CORPUS_FILE } from '../data/nlp-corpus.ts';
import { CharTokenizer, Gpt2Tokenizer, type Tokenizer } from '../data/tokenizer.ts';
import { acquireDevice, LimitError, type GpuContext } from '../gpu/device.ts';
import { KernelCache } from '../gpu/kernel.ts';
import { validateConfig, type GPT2Config } from '../model/config.ts';
import { initParameters } from '../model/init.ts';
import { parameterCount, parameterLayout } from '../model/layout.ts';
import { largestBuffer } from '../model/activations.ts';
import { EvalSet } from './evaluation.ts';
import { generateTokens, type SampleOptions } from './sampling.ts';
import { QueueClock, TrainingRun, type BatchSnapshot, type FrozenModel } from './trainer.ts';
import { DEFAULT_ADA_OPTIONS, validateAdaOptions } from './ada.ts';
import { checkpointTokenizer, loadCheckpoint, readModelCheckpoint, saveCheckpoint } from './checkpoint.ts';
import { STRATEGIES, STRATEGIES_WITH_CHECKPOINT, type EvalRecord, type ExperimentConfig, type ExperimentReport, type RunSpec, type StepRecord } from './types.ts';

export interface ExperimentCallbacks {
  onLog?(line: string): void;
  onStep?(runIndex: number, record: StepRecord): void;
  onEval?(runIndex: number, record: EvalRecord): void;
}

export interface ExperimentOptions {
  /** Documents to train on instead of loading the Brown corpus. */
  documents?: BrownDocument[];
  gpu?: GpuContext;
  /** Checkpoint files by name, for the runs' `checkpoint` field (Rho-1 reference, distillation teacher). */
  checkpoints?: Record<string, Uint8Array>;
}

export interface PreparedData {
  tokenizer: Tokenizer;
  corpus: TokenizedCorpus;
}

/** Build the tokenizer and token streams of an experiment's corpus. */
export function prepareData(config: ExperimentConfig, documents: readonly BrownDocument[]): PreparedData {
  const tokenizer: Tokenizer = config.tokenizer === 'gpt2'
    ? new Gpt2Tokenizer()
    : CharTokenizer.fromText(documents.map((doc) => doc.text).join(''));
  return { tokenizer, corpus: tokenizeCorpus(documents, tokenizer) };
}

/** Check an experiment's settings and runs; throws with the field and the accepted range. */
export function validateExperiment(config: ExperimentConfig, runs: readonly RunSpec[]): void {
  const positive = { batchSize: config.batchSize, seqLen: config.seqLen, steps: config.steps, metricsEvery: config.metricsEvery, evalWindowsPerGenre: config.evalWindowsPerGenre };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`invalid ${name}: ${value} (expected a positive integer)`);
  }
  if (!Number.isInteger(config.evalEvery) || config.evalEvery < 0) throw new Error(`invalid evalEvery: ${config.evalEvery} (expected an integer ≥ 0)`);
  if (!Number.isInteger(config.seed)) throw new Error(`invalid seed: ${config.seed} (expected an integer)`);
  const microBatches = config.microBatches ?? 1;
  if (!Number.isInteger(microBatches) || microBatches < 1 || config.batchSize % microBatches !== 0) {
    throw new Error(`invalid microBatches: ${microBatches} (expected a positive integer dividing batchSize ${config.batchSize})`);
  }
  if (config.seqLen > config.model.blockSize) {
    throw new Error(`invalid seqLen: ${config.seqLen} exceeds the model's blockSize ${config.model.blockSize}`);
  }
  const opt = config.optimizer;
  if (!(opt.lr > 0)) throw new Error(`invalid learning rate: ${opt.lr} (expected > 0)`);
  if (runs.length === 0) throw new Error('no runs: give at least one strategy');
  for (const run of runs) {
    if (!STRATEGIES.includes(run.strategy)) throw new Error(`unknown strategy ${run.strategy}; accepted: ${STRATEGIES.join(', ')}`);
    if (!(run.alpha >= 0 && run.alpha < 1)) throw new Error(`invalid alpha ${run.alpha} for ${run.strategy}: expected a value in [0, 1)`);
    if (STRATEGIES_WITH_CHECKPOINT.includes(run.strategy) && !run.checkpoint) {
      throw new Error(`strategy ${run.strategy} needs a checkpoint: a saved model of the same tokenizer to use as ${run.strategy === 'rho1' ? 'reference' : 'teacher'}`);
    }
    if (run.kdLambda !== undefined && !(run.kdLambda >= 0 && run.kdLambda <= 1)) throw new Error(`invalid kdLambda ${run.kdLambda}: expected a value in [0, 1]`);
    if (run.kdTemperature !== undefined && !(run.kdTemperature > 0)) throw new Error(`invalid kdTemperature ${run.kdTemperature}: expected a value > 0`);
    if (run.sequenceAlpha !== undefined && !(run.sequenceAlpha >= 0 && run.sequenceAlpha < 1)) {
      throw new Error(`invalid sequenceAlpha ${run.sequenceAlpha}: expected a value in [0, 1)`);
    }
    if (run.exitLayers !== undefined && !(Number.isInteger(run.exitLayers) && run.exitLayers >= 1 && run.exitLayers <= config.model.nLayer)) {
      throw new Error(`invalid exitLayers ${run.exitLayers}: expected an integer in [1, ${config.model.nLayer}] (the model's layers)`);
    }
    if (run.strategy === 'ada-eslm') {
      validateAdaOptions({ ...DEFAULT_ADA_OPTIONS, alphaMin: run.alphaMin ?? DEFAULT_ADA_OPTIONS.alphaMin, alphaMax: run.alphaMax ?? DEFAULT_ADA_OPTIONS.alphaMax });
    }
  }
}

/**
 * Evaluation batches per model batch size. Runs evaluate on their own model's rows, a
 * micro-batch or hierarchical ESLM's kept sequences. Every size packs the same
 * validation windows, so every run is scored on the same tokens.
 */
class EvalSetCache {
  private readonly sets = new Map<number, EvalSet>();

  constructor(
    private readonly device: GPUDevice,
    private readonly valByGenre: Record<string, Int32Array>,
    private readonly T: number,
    private readonly windowsPerGenre: number,
  ) {}

  forRows(B: number): EvalSet {
    let set = this.sets.get(B);
    if (!set) {
      set = new EvalSet(this.device, evalBatches(this.valByGenre, { B, T: this.T, windowsPerGenre: this.windowsPerGenre }), { B, T: this.T });
      this.sets.set(B, set);
    }
    return set;
  }

  destroy(): void {
    for (const set of this.sets.values()) set.destroy();
    this.sets.clear();
  }
}

/** Load a run's frozen model and check it fits the experiment: same tokenizer, long enough context. */
function frozenModelFor(spec: RunSpec, checkpoints: Record<string, Uint8Array>, tokenizer: Tokenizer, T: number): FrozenModel | undefined {
  if (!spec.checkpoint) return undefined;
  const bytes = checkpoints[spec.checkpoint];
  if (!bytes) throw new Error(`checkpoint "${spec.checkpoint}" for ${spec.strategy} was not provided`);
  const checkpoint = loadCheckpoint(bytes);
  const expected = JSON.stringify(checkpointTokenizer(tokenizer));
  if (JSON.stringify(checkpoint.tokenizer) !== expected) {
    throw new Error(`checkpoint "${spec.checkpoint}" was trained with another tokenizer (${checkpoint.tokenizer.name} vocabulary of ${checkpoint.config.vocabSize}); ` +
      `${spec.strategy} needs one saved with this experiment's ${tokenizer.name} tokenizer (V=${tokenizer.vocabSize})`);
  }
  if (checkpoint.config.blockSize < T) {
    throw new Error(`checkpoint "${spec.checkpoint}" has blockSize ${checkpoint.config.blockSize}, shorter than the sequence length ${T}`);
  }
  return { config: checkpoint.config, params: checkpoint.params };
}

function runName(spec: RunSpec, index: number, runs: readonly RunSpec[]): string {
  const base = spec.strategy === 'clm' ? 'clm' : `${spec.strategy}@${spec.alpha}`;
  const clash = runs.filter((r) => (r.strategy === 'clm' ? 'clm' : `${r.strategy}@${r.alpha}`) === base).length > 1;
  return clash ? `${base}#${index}` : base;
}

function formatLimitLine(label: string, bytes: number, limit: number): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  return `${label}: ${mib(bytes)} of ${mib(limit)} allowed`;
}

/** A run's last training batch, with the per-token score its selection ranked. */
export interface BatchInspection extends BatchSnapshot {
  score: 'loss' | 'entropy';
}

/**
 * Several strategies from one initialisation and one batch stream on one device. The
 * caller drives it step by step (the worker pauses between steps); runExperiment
 * drives it to the end.
 */
export class PairedExperiment {
  readonly runs: TrainingRun[];
  /** Steps completed by every run. */
  completedSteps = 0;

  private constructor(
    readonly config: ExperimentConfig,
    readonly model: GPT2Config,
    readonly tokenizer: Tokenizer,
    readonly gpu: GpuContext,
    private readonly kernels: KernelCache,
    private readonly evalSets: EvalSetCache,
    private readonly sampler: BatchSampler,
    runs: TrainingRun[],
    private readonly callbacks: ExperimentCallbacks,
    /** Uncaptured WebGPU errors and device loss, filled by the device's handlers. */
    private readonly gpuErrors: string[] = [],
  ) {
    this.runs = runs;
  }

  /** Throw if the device reported an error: results computed after one cannot be trusted. */
  private checkGpuErrors(): void {
    if (this.gpuErrors.length > 0) {
      throw new Error(`WebGPU error, training stopped: ${this.gpuErrors[0]}${this.gpuErrors.length > 1 ? ` (and ${this.gpuErrors.length - 1} more)` : ''}`);
    }
  }

  /** Load data, acquire the device and build every run; logs the configuration block. */
  static async create(
    config: ExperimentConfig,
    specs: RunSpec[],
    callbacks: ExperimentCallbacks = {},
    options: ExperimentOptions = {},
  ): Promise<PairedExperiment> {
    const log = (line: string) => callbacks.onLog?.(line);
    validateExperiment(config, specs);

    // Data.
    const documents = options.documents ?? (await loadBrownDocuments(corpusUrl(config.corpus === 'nlp-corpus' ? NLP_CORPUS_FILE : 'brown.json')));
    const { tokenizer, corpus } = prepareData(config, documents);
    const model: GPT2Config = { ...config.model, vocabSize: tokenizer.vocabSize };
    validateConfig(model);
    const B = config.batchSize;
    const T = config.seqLen;
    log(`corpus ${config.corpus}: ${documents.length} documents, ${corpus.train.length} training tokens, ` +
      `${Object.keys(corpus.valByGenre).length} validation genres, tokenizer ${tokenizer.name} (V=${tokenizer.vocabSize})`);

    // Device, with the limits the largest buffer needs; any uncaptured GPU error stops the experiment.
    const largest = largestBuffer(model, { B, T }, parameterLayout(model).total);
    const hint = `the largest buffer is ${largest.name} ${largest.shape}: lower the batch size or the sequence length` +
      `${largest.name === 'acts.logits' || largest.name === 'dacts.dlogitsKept' ? ', or use the character tokenizer' : ''}`;
    const gpuErrors: string[] = [];
    const gpu = options.gpu ?? (await acquireDevice({
      requirements: { maxStorageBufferBindingSize: largest.bytes, maxBufferSize: largest.bytes, maxStorageBuffersPerShaderStage: 6 },
      limitHint: hint,
      onError: (error) => gpuErrors.push(error.message),
      onLost: (info) => gpuErrors.push(`the GPU device was lost (${info.reason}): ${info.message}`),
    }));
    // A device given by the caller was requested without these needs, so check them here.
    const granted = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
    if (largest.bytes > granted) {
      const limit = largest.bytes > gpu.limits.maxBufferSize ? 'maxBufferSize' : 'maxStorageBufferBindingSize';
      throw new LimitError(limit, largest.bytes, granted, hint);
    }
    const kernels = new KernelCache(gpu.device);
    log(`adapter: ${gpu.adapter.vendor || 'unknown vendor'} ${gpu.adapter.architecture} ${gpu.adapter.description}` +
      `${gpu.adapter.isFallbackAdapter ? ' (fallback adapter: software, slow)' : ''}`);
    log(`model: L=${model.nLayer} NH=${model.nHead} C=${model.nEmbd} blockSize=${model.blockSize} V=${model.vocabSize}, ` +
      `${parameterCount(model)} parameters; batch B=${B} T=${T} (M=${B * T} tokens)`);
    log(formatLimitLine(`largest buffer (${largest.name} ${largest.shape})`, largest.bytes, Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize)));

    // Runs share the initial parameters and the batch stream.
    const initialParameters = initParameters(model, config.seed);
    const clock = new QueueClock();
    const runs: TrainingRun[] = specs.map((spec, i) => new TrainingRun(kernels, {
      name: runName(spec, i, specs), spec, config: model, dims: { B, T }, optimizer: config.optimizer,
      totalSteps: config.steps, metricsEvery: config.metricsEvery, initialParameters, clock, seed: config.seed,
      frozen: frozenModelFor(spec, options.checkpoints ?? {}, tokenizer, T),
      microBatches: config.microBatches ?? 1,
      onStep: (record) => {
        callbacks.onStep?.(i, record);
        if (record.step % config.metricsEvery === 0 || record.step === config.steps - 1) {
          log(`${runs[i].name.padEnd(18)} step ${String(record.step).padStart(5)} | loss ${record.trainLoss.toFixed(4)} | ` +
            `kept ${record.keptTokens}/${record.totalTokens} | lr ${record.lr.toExponential(2)} | ` +
            `${(record.executedFlops / 1e9).toFixed(4)} GFLOP | ${record.ms.toFixed(1)} ms`);
        }
      },
    }));
    log(`GPU memory per run: ${(runs[0].model.allocatedBytes / 2 ** 20).toFixed(2)} MiB in buffers; ` +
      `executed ${(runs[0].model.trainingStepFlops(runs[0].model.M) / 1e9).toFixed(4)} GFLOP per step with every token kept`);
    const evalSets = new EvalSetCache(gpu.device, corpus.valByGenre, T, config.evalWindowsPerGenre);
    const sampler = new BatchSampler(corpus.train, { B, T, seed: config.seed });
    return new PairedExperiment(config, model, tokenizer, gpu, kernels, evalSets, sampler, runs, callbacks, gpuErrors);
  }

  get finished(): boolean {
    return this.completedSteps >= this.config.steps || this.runs.every((run) => run.stopped);
  }

  /** Evaluate every run that has not stopped. */
  async evaluateAll(): Promise<void> {
    for (const [i, run] of this.runs.entries()) {
      if (run.stopped) continue;
      const record = await run.evaluate(this.evalSets.forRows(run.model.dims.B));
      this.checkGpuErrors();
      this.callbacks.onEval?.(i, record);
      this.callbacks.onLog?.(`${run.name.padEnd(18)} eval  ${String(record.step).padStart(5)} | val loss ${record.valLoss.toFixed(4)} | ` +
        `ppl ${record.valPerplexity.toFixed(3)} | worst ${record.worstGenre} ${record.worstGenrePerplexity.toFixed(3)}`);
    }
  }

  /** Train every run on one batch in turn, then evaluate when an evaluation is due. */
  async trainStep(): Promise<void> {
    if (this.finished) throw new Error(`experiment finished after ${this.completedSteps} steps`);
    this.checkGpuErrors();
    const batch = this.sampler.next();
    for (const run of this.runs) {
      if (!run.stopped) await run.step(batch);
    }
    this.completedSteps++;
    const { evalEvery, steps } = this.config;
    if (this.completedSteps === steps || (evalEvery > 0 && this.completedSteps % evalEvery === 0)) await this.evaluateAll();
  }

  /** Wait for all submitted work and metric readbacks. */
  async flush(): Promise<void> {
    await Promise.all(this.runs.map((run) => run.flush()));
    this.checkGpuErrors();
  }

  /** Tokens, scores and mask of a run's last training batch, also after an evaluation or a sample (reads back between steps). */
  async inspect(runIndex: number): Promise<BatchInspection> {
    const run = this.runs[runIndex];
    if (!run) throw new Error(`no run ${runIndex}; the experiment has ${this.runs.length}`);
    const batch = await run.inspectBatch();
    return { ...batch, score: run.model.score };
  }

  /** Generate text from a run's current parameters. Call between steps: it reuses the run's activations. */
  async sample(runIndex: number, prompt: string, options: SampleOptions): Promise<string> {
    const run = this.runs[runIndex];
    if (!run) throw new Error(`no run ${runIndex}; the experiment has ${this.runs.length}`);
    await run.flush();
    await run.preserveBatch();
    const context = Array.from(this.tokenizer.encode(prompt));
    if (context.length === 0) context.push(this.tokenizer.eotToken);
    const ids = await generateTokens(run.model, context, options);
    return this.tokenizer.decode(ids);
  }

  /** Current parameters and AdamW state of the named runs (default every run) as checkpoint files, by run name. */
  async saveCheckpoints(runNames?: readonly string[]): Promise<Record<string, Uint8Array>> {
    await this.flush();
    const unknown = (runNames ?? []).filter((name) => !this.runs.some((run) => run.name === name));
    if (unknown.length > 0) throw new Error(`no run named ${unknown.join(', ')}; runs are ${this.runs.map((r) => r.name).join(', ')}`);
    const files: Record<string, Uint8Array> = {};
    for (const run of this.runs) {
      if (runNames && !runNames.includes(run.name)) continue;
      const checkpoint = await readModelCheckpoint(run.model, this.tokenizer, {
        strategy: run.spec.strategy, alpha: run.spec.alpha, completedSteps: this.completedSteps, experiment: this.config,
      }, this.completedSteps);
      files[run.name] = saveCheckpoint(checkpoint);
    }
    return files;
  }

  report(): ExperimentReport {
    return {
      createdAt: new Date().toISOString(),
      adapter: this.gpu.adapter,
      config: this.config,
      model: this.model,
      parameterCount: parameterCount(this.model),
      runs: this.runs.map((run) => run.report()),
    };
  }

  destroy(): void {
    for (const run of this.runs) run.destroy();
    this.evalSets.destroy();
    this.kernels.destroy();
  }
}

/** Train every run for config.steps steps, evaluating at step 0, every evalEvery steps and at the end. */
export async function runExperiment(
  config: ExperimentConfig,
  runs: RunSpec[],
  callbacks: ExperimentCallbacks = {},
  options: ExperimentOptions = {},
): Promise<ExperimentReport> {
  const experiment = await PairedExperiment.create(config, runs, callbacks, options);
  try {
    await experiment.evaluateAll();
    while (!experiment.finished) await experiment.trainStep();
    await experiment.flush();
    for (const run of experiment.runs) if (run.error) callbacks.onLog?.(`${run.name}: stopped, ${run.error.message}`);
    return experiment.report();
  } finally {
    experiment.destroy();
  }
}
