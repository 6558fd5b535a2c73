// One training run (one strategy) on the GPU: a Gpt2Gpu instance, its optimizer
// schedule, and the asynchronous readback of its metric ring into step records.
// A step is one command buffer and one submit; the host never waits on a mapAsync
// inside a step. Records arrive every `metricsEvery` steps, in step order.

import type { Batch } from '../data/batches.ts';
import { encodeDispatches, type KernelCache } from '../gpu/kernel.ts';
import { METRIC_FIELDS, METRIC_STRIDE, type MetricField } from '../gpu/ops/metrics.ts';
import type { BatchDims } from '../model/activations.ts';
import type { GPT2Config } from '../model/config.ts';
import { nominalStepFlops } from '../model/flops.ts';
import { Gpt2Gpu } from '../model/gpt2.ts';
import { keptCount } from '../reference/select.ts';
import { evaluationLosses, summarizeEvaluation, type EvalSet } from './evaluation.ts';
import { learningRate } from './schedule.ts';
import type { EvalRecord, OptimizerConfig, RunReport, RunSpec, StepRecord } from './types.ts';

/** Tracks when the shared GPU queue last finished work, so each step's time excludes the previous step's. */
export class QueueClock {
  lastDone = 0;
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
  clock: QueueClock;
  onStep?: (record: StepRecord) => void;
}

interface PendingStep {
  step: number;
  lr: number;
  k: number;
  executedFlops: number;
  nominalFlops: number;
  submitted: number;
  ms?: number;
}

export class TrainingRun {
  readonly name: string;
  readonly spec: RunSpec;
  readonly model: Gpt2Gpu;
  readonly history: StepRecord[] = [];
  readonly evals: EvalRecord[] = [];
  error?: { step: number; message: string };

  private readonly options: TrainingRunOptions;
  private readonly pending: PendingStep[] = [];
  private readonly readbacks: Promise<void>[] = [];
  private inFlight?: Promise<void>;
  private nextStep = 0;
  private cumulativeExecuted = 0;
  private cumulativeNominal = 0;
  private readonly startTime = performance.now();

  constructor(kernels: KernelCache, options: TrainingRunOptions) {
    this.options = options;
    this.name = options.name;
    this.spec = options.spec;
    if (!(options.metricsEvery >= 1)) throw new Error(`metricsEvery must be at least 1, got ${options.metricsEvery}`);
    this.model = new Gpt2Gpu(kernels, {
      config: options.config,
      dims: options.dims,
      score: options.spec.strategy === 'eslm-entropy' ? 'entropy' : 'loss',
      // Twice the readback interval, so a record is copied out before its slot is reused.
      ringSlots: 2 * options.metricsEvery,
      label: options.name,
    });
    this.model.uploadParameters(options.initialParameters);
  }

  get stopped(): boolean {
    return this.error !== undefined;
  }

  /** Tokens kept per step: every token for CLM, ceil((1 − α)·M) for ESLM. */
  keptTokens(): number {
    return this.spec.strategy === 'clm' ? this.model.M : keptCount(this.spec.alpha, this.model.M);
  }

  /** Encode and submit one training step; resolves once the previous step of this run has finished on the GPU. */
  async step(batch: Batch): Promise<void> {
    if (this.stopped) throw new Error(`run ${this.name} stopped at step ${this.error!.step}: ${this.error!.message}`);
    const step = this.nextStep++;
    const { model, options } = this;
    const k = this.keptTokens();
    const lr = learningRate(options.optimizer, step, options.totalSteps);
    const slot = step % model.ringSlots;

    // Host writes, ordered before the submit by the queue.
    model.uploadBatch(batch.inputs, batch.targets);
    model.writeStepUniforms({ k, slot, adamw: { ...options.optimizer, lr, step: step + 1 } });

    // One command buffer: zero gradients, forward, select, statistics, backward, optimizer.
    const device = model.device;
    const encoder = device.createCommandEncoder({ label: `${this.name}.step${step}` });
    model.encodeZeroGradients(encoder);
    encodeDispatches(encoder, [...model.forward, ...model.selection, ...model.statistics, ...model.backward, ...model.optimizer], `${this.name}.train`);

    const record: PendingStep = {
      step, lr, k,
      executedFlops: model.trainingStepFlops(k),
      nominalFlops: nominalStepFlops(model.config, model.dims.T, model.M, k),
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
    const ring = new Float32Array(staging.getMappedRange().slice(0));
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
      this.cumulativeExecuted += p.executedFlops;
      this.cumulativeNominal += p.nominalFlops;
      const record: StepRecord = {
        step: p.step,
        trainLoss,
        selectedLoss: field('selectedLoss'),
        meanEntropy: field('meanEntropy'),
        threshold: field('threshold'),
        keptTokens: field('keptCount'),
        totalTokens: this.model.M,
        gradNorm,
        lr: p.lr,
        alpha: this.spec.strategy === 'clm' ? 0 : this.spec.alpha,
        executedFlops: p.executedFlops,
        nominalFlops: p.nominalFlops,
        cumulativeExecutedFlops: this.cumulativeExecuted,
        cumulativeNominalFlops: this.cumulativeNominal,
        cumulativeTokens: (p.step + 1) * this.model.M,
        ms: p.ms ?? Number.NaN,
        elapsedMs: performance.now() - this.startTime,
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

  /** Validation perplexity per genre at the current parameters (between steps). */
  async evaluate(evalSet: EvalSet): Promise<EvalRecord> {
    await this.flush();
    const losses = await evaluationLosses(this.model, evalSet);
    const record = summarizeEvaluation(this.nextStep, evalSet.batches, losses, this.model.dims.T);
    if (!Number.isFinite(record.valLoss)) {
      this.error ??= { step: this.nextStep, message: `non-finite validation loss at step ${this.nextStep}` };
    }
    this.evals.push(record);
    return record;
  }

  report(): RunReport {
    return {
      name: this.name,
      strategy: this.spec.strategy,
      alpha: this.spec.strategy === 'clm' ? 0 : this.spec.alpha,
      history: this.history,
      evals: this.evals,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  destroy(): void {
    this.model.destroy();
  }
}
