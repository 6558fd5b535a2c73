// One training run (one strategy) on the GPU: a Gpt2Gpu instance, its optimizer
// schedule, and the asynchronous readback of its metric ring into step records.
// A step is one command buffer and one submit; the host never waits on a mapAsync
// inside a step. Records arrive every `metricsEvery` steps, in step order.

import type { Batch } from '../data/batches.ts';
import { Rng } from '../data/rng.ts';
import { createStorage, elementSlice, readBytes } from '../gpu/buffers.ts';
import { encodeDispatches, sumFlops, type Dispatch, type KernelCache } from '../gpu/kernel.ts';

/** Positions whose backward runs in the earlier blocks (rows) and their causal pairs. */
type ActiveCounts = { activeRows: number; activePairs: number };
import { differenceForward } from '../gpu/ops/elementwise.ts';
import { METRIC_FIELDS, METRIC_STRIDE, type MetricField } from '../gpu/ops/metrics.ts';
import type { BatchDims } from '../model/activations.ts';
import type { GPT2Config } from '../model/config.ts';
import { nominalForwardFlopsPerToken, nominalStepFlops } from '../model/flops.ts';
import { Gpt2Gpu } from '../model/gpt2.ts';
import { keptCount } from '../reference/select.ts';
import { AdaController, DEFAULT_ADA_OPTIONS } from './ada.ts';
import { HierarchicalPlan } from './hierarchical.ts';
import { MicroBatchPlan } from './micro-batch.ts';
import { evaluationLosses, summarizeEvaluation, type EvalSet } from './evaluation.ts';
import { learningRate } from './schedule.ts';
import { MICRO_BATCH_STRATEGIES, RUN_OPTION_DEFAULTS, type EvalRecord, type FlopsBreakdown, type OptimizerConfig, type RunReport, type RunSpec, type StepRecord } from './types.ts';

/** A training batch's tokens (B,T), per-token loss and entropy, and selection mask, on the host. */
export interface BatchSnapshot {
  /** 0-based step that trained on this batch. */
  step: number;
  inputs: Int32Array;
  targets: Int32Array;
  losses: Float32Array;
  entropies: Float32Array;
  mask: Uint32Array;
}

/** Tracks when the shared GPU queue last finished work, so each step's time excludes the previous step's. */
export class QueueClock {
  lastDone = 0;
}

/** A frozen model a run reads from: Rho-1's reference or distillation's teacher. */
export interface FrozenModel {
  config: GPT2Config;
  params: Float32Array;
}

export interface TrainingRunOptions {
  name: string;
  spec: RunSpec;
  config: GPT2Config;
  dims: BatchDims;
  optimizer: OptimizerConfig;
  totalSteps: number;
  metricsEvery: number;
  initialParameters: Float32Array;
  /** Experiment seed; the random control draws its tokens from a stream derived from it. */
  seed: number;
  clock: QueueClock;
  /** Required by rho1 and eslm-kd. */
  frozen?: FrozenModel;
  /**
   * Split each batch into this many micro-batches (B must be divisible by it) and
   * accumulate gradients with one selection over the whole batch. Default 1.
   */
  microBatches?: number;
  onStep?: (record: StepRecord) => void;
}

/** Salt that separates the random control's token draws from the batch stream of the same seed. */
const RANDOM_SELECTION_SALT = 0x52414e44;

interface PendingStep {
  step: number;
  lr: number;
  alpha: number;
  k: number;
  /** Executed FLOPs for the step's active rows and pairs, known once its metrics are read back. */
  executedFlops: (active: ActiveCounts) => number;
  nominalFlops: number;
  submitted: number;
  ms?: number;
  /** Milliseconds from the run's start to this step's completion on the GPU. */
  elapsedMs?: number;
}

export class TrainingRun {
  readonly name: string;
  readonly spec: RunSpec;
  readonly model: Gpt2Gpu;
  /** Frozen reference (rho1) or teacher (eslm-kd), forward only. */
  readonly frozen?: Gpt2Gpu;
  /** Ada-ESLM's controller; α changes once per metricsEvery steps. */
  readonly ada?: AdaController;
  /** Masked gradient accumulation over micro-batches, when configured. */
  readonly micro?: MicroBatchPlan;
  /** Hierarchical ESLM's shallow pass and sequence selection. */
  readonly hierarchical?: HierarchicalPlan;
  /** Target tokens of one (logical) batch, B·T. */
  readonly totalTokens: number;
  readonly history: StepRecord[] = [];
  readonly evals: EvalRecord[] = [];
  error?: { step: number; message: string };

  private readonly options: TrainingRunOptions;
  private readonly pending: PendingStep[] = [];
  private readonly readbacks: Promise<void>[] = [];
  private inFlight?: Promise<void>;
  /** Active rows and pairs of the last step read back. */
  private lastActive?: ActiveCounts;
  /** The last training batch, copied before evaluation or sampling reused its buffers. */
  private snapshot?: BatchSnapshot;
  private nextStep = 0;
  private cumulativeExecuted = 0;
  private cumulativeNominal = 0;
  private readonly startTime = performance.now();
  private readonly scoreDispatches: Dispatch[] = [];
  private readonly ownedBuffers: GPUBuffer[] = [];
  private readonly randomRng?: Rng;

  constructor(kernels: KernelCache, options: TrainingRunOptions) {
    this.options = options;
    this.name = options.name;
    this.spec = options.spec;
    const { strategy } = options.spec;
    if (!(options.metricsEvery >= 1)) throw new Error(`metricsEvery must be at least 1, got ${options.metricsEvery}`);
    const microBatches = options.microBatches ?? 1;
    if (!Number.isInteger(microBatches) || microBatches < 1 || options.dims.B % microBatches !== 0) {
      throw new Error(`invalid micro-batch count ${microBatches}: it must be a positive integer dividing the batch size ${options.dims.B}`);
    }
    if (microBatches > 1 && !MICRO_BATCH_STRATEGIES.includes(strategy)) {
      throw new Error(`micro-batches are supported for ${MICRO_BATCH_STRATEGIES.join(', ')}, not ${strategy}`);
    }
    this.totalTokens = options.dims.B * options.dims.T;
    // Hierarchical ESLM trains the full model on the kept sequences only.
    const keptSequences = strategy === 'hierarchical' ? keptCount(options.spec.sequenceAlpha ?? RUN_OPTION_DEFAULTS.sequenceAlpha, options.dims.B) : options.dims.B;
    const modelDims = { B: keptSequences / microBatches, T: options.dims.T };
    const M = modelDims.B * modelDims.T;

    // Frozen reference or teacher, on the same batch shape.
    if (strategy === 'rho1' || strategy === 'eslm-kd') {
      const frozen = options.frozen;
      if (!frozen) throw new Error(`strategy ${strategy} needs a checkpoint of a reference or teacher model`);
      if (frozen.config.vocabSize !== options.config.vocabSize) {
        throw new Error(`the ${strategy} checkpoint has vocabulary ${frozen.config.vocabSize}, this experiment ${options.config.vocabSize}`);
      }
      this.frozen = new Gpt2Gpu(kernels, {
        config: frozen.config, dims: modelDims, score: 'loss', ringSlots: 1, label: `${options.name}.frozen`, trainable: false,
      });
      this.frozen.uploadParameters(frozen.params);
    }
    const excessLoss = strategy === 'rho1' ? createStorage(kernels.device, `${options.name}.excessLoss`, M * 4) : undefined;
    if (excessLoss) this.ownedBuffers.push(excessLoss);

    this.model = new Gpt2Gpu(kernels, {
      config: options.config,
      dims: modelDims,
      rowSkipping: microBatches === 1,
      score: strategy === 'eslm-entropy' ? 'entropy' : 'loss',
      scoreBuffer: excessLoss,
      distill: strategy === 'eslm-kd' ? {
        teacherLogits: this.frozen!.acts.logits,
        lambda: options.spec.kdLambda ?? RUN_OPTION_DEFAULTS.kdLambda,
        temperature: options.spec.kdTemperature ?? RUN_OPTION_DEFAULTS.kdTemperature,
      } : undefined,
      // Twice the readback interval, so a record is copied out before its slot is reused.
      ringSlots: 2 * options.metricsEvery,
      label: options.name,
    });
    this.model.uploadParameters(options.initialParameters);
    if (microBatches > 1) this.micro = new MicroBatchPlan(kernels, this.model, microBatches);
    if (strategy === 'hierarchical') {
      this.hierarchical = new HierarchicalPlan(kernels, this.model, options.dims.B, keptSequences, options.spec.exitLayers ?? RUN_OPTION_DEFAULTS.exitLayers);
    }

    // Rho-1 ranks tokens by excess loss: ℓ_θ − ℓ_ref.
    if (excessLoss) {
      this.scoreDispatches = differenceForward(kernels, {
        out: elementSlice(excessLoss, 0, M), inp1: this.model.act('losses'), inp2: this.frozen!.act('losses'),
      }, { N: M });
    }
    if (strategy === 'ada-eslm') {
      this.ada = new AdaController(options.spec.alpha, {
        ...DEFAULT_ADA_OPTIONS,
        alphaMin: options.spec.alphaMin ?? DEFAULT_ADA_OPTIONS.alphaMin,
        alphaMax: options.spec.alphaMax ?? DEFAULT_ADA_OPTIONS.alphaMax,
      });
    }
    if (strategy === 'random') this.randomRng = new Rng((options.seed + RANDOM_SELECTION_SALT) >>> 0);
  }

  get stopped(): boolean {
    return this.error !== undefined;
  }

  /** Return the selection level of the next step: the run's α, Ada-ESLM's current α, or 0 for CLM. */
  currentAlpha(): number {
    if (this.spec.strategy === 'clm') return 0;
    return this.ada ? this.ada.alpha : this.spec.alpha;
  }

  /** Tokens kept per step: every token for CLM, ceil((1 − α)·M) otherwise, M counting the kept sequences for hierarchical. */
  keptTokens(): number {
    const selectable = this.hierarchical ? this.model.M : this.totalTokens;
    return this.spec.strategy === 'clm' ? selectable : keptCount(this.currentAlpha(), selectable);
  }

  /** Write the random control's mask from the host: k distinct tokens drawn uniformly (partial Fisher–Yates). */
  private writeRandomSelection(k: number): void {
    const M = this.model.M;
    const order = Array.from({ length: M }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.randomRng!.int(M - i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const kept = order.slice(0, k).sort((a, b) => a - b);
    const mask = new Uint32Array(M);
    for (const i of kept) mask[i] = 1;
    const keptIndices = new Uint32Array(M);
    keptIndices.set(kept);
    const queue = this.model.device.queue;
    queue.writeBuffer(this.model.mask, 0, mask);
    queue.writeBuffer(this.model.keptIndices, 0, keptIndices);
    // selectStats: no threshold (recorded as null), the kept count, no score sum.
    queue.writeBuffer(this.model.selectStats, 0, Float32Array.from([0, k, 0]));
  }

  /** Dispatches of one step, in order, and their executed FLOPs for k kept tokens. */
  private stepDispatches(k: number): { dispatches: Dispatch[]; flops: (active: ActiveCounts) => number } {
    const { model, frozen } = this;
    const selection = this.randomRng ? [] : model.selection;
    const dispatches = [
      ...(frozen?.forward ?? []), ...model.forward, ...this.scoreDispatches, ...selection,
      ...model.statistics, ...model.backward, ...model.optimizer,
    ];
    return { dispatches, flops: (active) => sumFlops(dispatches, { kept: k, ...active }) };
  }

  /** Encode and submit one training step; resolves once the previous step of this run has finished on the GPU. */
  async step(batch: Batch): Promise<void> {
    if (this.stopped) throw new Error(`run ${this.name} stopped at step ${this.error!.step}: ${this.error!.message}`);
    const step = this.nextStep;
    const { model, frozen, options } = this;

    // Ada-ESLM: update α from the window of records just before this step, once they are read back.
    if (this.ada && step > 0 && step % options.metricsEvery === 0) {
      await this.flush();
      if (this.stopped) return;
      this.ada.update(this.history.filter((r) => r.step >= step - options.metricsEvery));
    }
    this.nextStep++;
    const alpha = this.currentAlpha();
    const k = this.keptTokens();
    const lr = learningRate(options.optimizer, step, options.totalSteps);
    const slot = step % model.ringSlots;

    // Host writes, ordered before the submit by the queue.
    const adamw = { ...options.optimizer, lr, step: step + 1 };
    if (this.micro) {
      this.micro.uploadBatch(batch.inputs, batch.targets);
      this.micro.writeStepUniforms(k, slot);
      model.writeStepUniforms({ k, slot, adamw }, this.totalTokens);
    } else if (this.hierarchical) {
      this.hierarchical.uploadBatch(batch.inputs, batch.targets);
      model.writeStepUniforms({ k, slot, adamw });
    } else {
      model.uploadBatch(batch.inputs, batch.targets);
      frozen?.uploadBatch(batch.inputs, batch.targets);
      model.writeStepUniforms({ k, slot, adamw });
      if (this.randomRng) this.writeRandomSelection(k);
    }

    // One command buffer: zero gradients, forward (frozen model first), scores, select,
    // statistics, backward, optimizer.
    const device = model.device;
    const encoder = device.createCommandEncoder({ label: `${this.name}.step${step}` });
    let flops: (active: ActiveCounts) => number;
    if (this.micro) {
      const microFlops = this.micro.encode(encoder, k);
      flops = () => microFlops;
    } else {
      const shallowFlops = this.hierarchical?.encode(encoder) ?? 0;
      model.encodeZeroGradients(encoder);
      const plan = this.stepDispatches(k);
      encodeDispatches(encoder, plan.dispatches, `${this.name}.train`);
      flops = (active) => shallowFlops + plan.flops(active);
    }

    const T = model.dims.T;
    const frozenNominal = frozen ? this.totalTokens * nominalForwardFlopsPerToken(frozen.config, T) : 0;
    const shallowNominal = this.hierarchical?.nominalFlops() ?? 0;
    const trainedTokens = this.hierarchical ? model.M : this.totalTokens;
    const record: PendingStep = {
      step, lr, alpha, k,
      executedFlops: flops,
      nominalFlops: nominalStepFlops(model.config, T, trainedTokens, k) + frozenNominal + shallowNominal,
      submitted: 0,
    };
    this.pending.push(record);
    const readbackDue = (step + 1) % options.metricsEvery === 0 || step + 1 === options.totalSteps;
    const staging = readbackDue ? this.encodeRingCopy(encoder) : undefined;

    record.submitted = performance.now();
    device.queue.submit([encoder.finish()]);
    const done = device.queue.onSubmittedWorkDone().then(() => {
      const now = performance.now();
      record.ms = now - Math.max(record.submitted, options.clock.lastDone);
      record.elapsedMs = now - this.startTime;
      options.clock.lastDone = now;
    });
    if (staging) this.readbacks.push(this.readRing(staging, step));

    // Keep at most one step of this run in flight.
    const previous = this.inFlight;
    this.inFlight = done;
    if (previous) await previous;
  }

  private encodeRingCopy(encoder: GPUCommandEncoder): GPUBuffer {
    const staging = this.model.device.createBuffer({
      label: `${this.name}.ringReadback`,
      size: this.model.ring.size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    encoder.copyBufferToBuffer(this.model.ring, 0, staging, 0, this.model.ring.size);
    return staging;
  }

  /** Turn the ring's records of every pending step up to lastStep into step records. */
  private async readRing(staging: GPUBuffer, lastStep: number): Promise<void> {
    await staging.mapAsync(GPUMapMode.READ);
    const bytes = staging.getMappedRange().slice(0);
    const ring = new Float32Array(bytes);
    // Count fields hold u32 bit patterns.
    const counts = new Uint32Array(bytes);
    const model = this.model;
    staging.unmap();
    staging.destroy();

    while (this.pending.length > 0 && this.pending[0].step <= lastStep) {
      const p = this.pending.shift()!;
      if (this.stopped) continue;
      const base = (p.step % this.model.ringSlots) * METRIC_STRIDE;
      const field = (name: MetricField) => ring[base + METRIC_FIELDS.indexOf(name)];
      const trainLoss = field('trainLoss');
      const gradNorm = field('gradNorm');
      if (!Number.isFinite(trainLoss) || !Number.isFinite(gradNorm)) {
        this.error = { step: p.step, message: `non-finite ${Number.isFinite(trainLoss) ? 'gradient norm' : 'loss'} at step ${p.step}` };
        continue;
      }
      // Positions after a sequence's last kept token skip the backward; the ring counts the rest.
      const active = model.rowSkipping ? { activeRows: counts[base + METRIC_FIELDS.indexOf('activeRows')], activePairs: counts[base + METRIC_FIELDS.indexOf('activePairs')] } : model.allPositionsActive();
      const executedFlops = p.executedFlops(active);
      this.lastActive = active;
      this.cumulativeExecuted += executedFlops;
      this.cumulativeNominal += p.nominalFlops;
      const record: StepRecord = {
        step: p.step,
        trainLoss,
        selectedLoss: field('selectedLoss'),
        meanEntropy: field('meanEntropy'),
        threshold: this.randomRng ? null : field('threshold'),
        lossStd: field('lossStd'),
        keptTokens: field('keptCount'),
        totalTokens: this.totalTokens,
        gradNorm,
        lr: p.lr,
        alpha: p.alpha,
        executedFlops,
        activeTokens: active.activeRows * (this.micro ? this.micro.count : 1),
        nominalFlops: p.nominalFlops,
        cumulativeExecutedFlops: this.cumulativeExecuted,
        cumulativeNominalFlops: this.cumulativeNominal,
        cumulativeTokens: (p.step + 1) * this.totalTokens,
        ms: p.ms ?? Number.NaN,
        elapsedMs: p.elapsedMs ?? performance.now() - this.startTime,
      };
      this.history.push(record);
      this.options.onStep?.(record);
    }
  }

  /** Wait for every submitted step and pending readback. */
  async flush(): Promise<void> {
    await this.inFlight;
    await Promise.all(this.readbacks);
    this.readbacks.length = 0;
  }

  /**
   * Tokens, scores and mask of the last training batch. Evaluation and sampling reuse
   * the model's batch buffers, so the batch is copied to the host before either runs.
   */
  async inspectBatch(): Promise<BatchSnapshot> {
    await this.flush();
    return this.snapshot?.step === this.nextStep - 1 ? this.snapshot : this.readBatch();
  }

  /** Copy the last training batch to the host unless it already is, before its buffers are reused. */
  async preserveBatch(): Promise<void> {
    if (this.nextStep > 0 && this.snapshot?.step !== this.nextStep - 1) this.snapshot = await this.readBatch();
  }

  private async readBatch(): Promise<BatchSnapshot> {
    const { model } = this;
    const read = (buffer: GPUBuffer) => readBytes(model.device, { buffer, offset: 0, size: model.M * 4 });
    return {
      step: this.nextStep - 1,
      inputs: new Int32Array(await read(model.inputs)),
      targets: new Int32Array(await read(model.targets)),
      losses: new Float32Array(await read(model.acts.losses)),
      entropies: new Float32Array(await read(model.acts.entropies)),
      mask: new Uint32Array(await read(model.mask)),
    };
  }

  /** Validation perplexity per genre at the current parameters (between steps). */
  async evaluate(evalSet: EvalSet): Promise<EvalRecord> {
    await this.flush();
    await this.preserveBatch();
    const losses = await evaluationLosses(this.model, evalSet);
    const record = summarizeEvaluation(this.nextStep, evalSet.batches, losses, this.model.dims.T);
    if (!Number.isFinite(record.valLoss)) {
      this.error ??= { step: this.nextStep, message: `non-finite validation loss at step ${this.nextStep}` };
    }
    this.evals.push(record);
    return record;
  }

  /** Executed FLOPs of one step by part, for k kept tokens (micro-batches: the logical step's). */
  flopsBreakdown(k = this.history.at(-1)?.keptTokens ?? this.keptTokens()): FlopsBreakdown {
    const { model, frozen } = this;
    const counts = { kept: k, ...(this.lastActive ?? model.allPositionsActive()) };
    const repeats = this.micro ? this.micro.count : 1;
    // With micro-batches the forward runs twice per micro-batch (scoring, then before the backward).
    const forward = (this.micro ? 2 * repeats : 1) * sumFlops(model.forward, counts)
      + (frozen ? sumFlops(frozen.forward, counts) : 0) + (this.hierarchical ? sumFlops(this.hierarchical.shallow.forward, counts) : 0);
    const keptRows = model.backward.filter((d) => d.flopsPerKeptRow !== undefined);
    const allRows = model.backward.filter((d) => d.flopsPerKeptRow === undefined);
    const backwardKeptRows = repeats * sumFlops(keptRows, counts);
    const backwardAllRows = repeats * sumFlops(allRows, counts);
    const selection = sumFlops(this.randomRng ? [] : model.selection, counts) + sumFlops(model.statistics, counts) + sumFlops(this.scoreDispatches, counts);
    const optimizer = sumFlops(model.optimizer, counts);
    const total = forward + selection + backwardKeptRows + backwardAllRows + optimizer;
    return { keptTokens: k, forward, selection, backwardKeptRows, backwardAllRows, optimizer, keptRowShare: backwardKeptRows / total };
  }

  report(): RunReport {
    return {
      name: this.name,
      strategy: this.spec.strategy,
      alpha: this.spec.strategy === 'clm' ? 0 : this.spec.alpha,
      spec: this.spec,
      history: this.history,
      evals: this.evals,
      flopsBreakdown: this.flopsBreakdown(),
      ...(this.error ? { error: this.error } : {}),
    };
  }

  destroy(): void {
    this.model.destroy();
    this.frozen?.destroy();
    this.micro?.destroy();
    this.hierarchical?.destroy();
    for (const buffer of this.ownedBuffers) buffer.destroy();
  }
}
