// GPT-2 on the GPU: the buffers of one model instance and its training step as lists
// of dispatches, built once per (config, B, T). Parameters, gradients and AdamW moments
// live in flat buffers laid out by src/model/layout.ts; activations in one buffer per
// tensor (src/model/activations.ts). The dispatch lists themselves are in gpt2-plan.ts.

import { createStorage, elementSlice } from '../gpu/buffers.ts';
import { LimitError } from '../gpu/device.ts';
import type { BufferSlice, Dispatch, KernelCache } from '../gpu/kernel.ts';
import { sumFlops } from '../gpu/kernel.ts';
import { AdamwParams } from '../gpu/ops/adamw.ts';
import { CrossentropySizes } from '../gpu/ops/crossentropy.ts';
import { DistillSizes } from '../gpu/ops/distill.ts';
import { ActiveLengthSizes, GRAD_NORM_PER_THREAD, gradNormPartialCount, GradNormSizes, LossStatisticsSizes, METRIC_STRIDE } from '../gpu/ops/metrics.ts';
import { checkKeptCount, SELECT_STATS_LENGTH, SelectSizes } from '../gpu/ops/select.ts';
import {
  ACTIVATION_GRAD_TENSORS, ACTIVATION_TENSORS, OVERWRITTEN_GRAD_TENSORS, tensorAllocations,
  type ActivationGradName, type ActivationName, type BatchDims, type TensorAllocation,
} from './activations.ts';
import { validateConfig, type GPT2Config } from './config.ts';
import { buildBackward, buildForward, buildOptimizer, buildSelection, buildStatistics } from './gpt2-plan.ts';
import { dataRanges, layerOffset, parameterLayout, type ParameterLayout, type ParameterName } from './layout.ts';

/** Per-token score that the selection ranks. */
export type ScoreKind = 'loss' | 'entropy';

export interface AdamwStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based optimizer step, for the bias corrections. */
  step: number;
  /** Global gradient-norm clip; 0 disables it. */
  gradClip: number;
}

export interface Gpt2GpuOptions {
  config: GPT2Config;
  dims: BatchDims;
  score: ScoreKind;
  /** Records in the metric ring (one per step, reused modulo this count). */
  ringSlots: number;
  label: string;
  /**
   * Run the cross-entropy and LM-head backward on the kept rows only (default). False
   * selects the dense masked backward, kept to check the two agree. Distillation uses
   * the dense backward.
   */
  rowSkipping?: boolean;
  /** False builds a frozen model: forward only, no gradients, moments or optimizer. */
  trainable?: boolean;
  /** Scores the selection ranks instead of this model's losses or entropies (Rho-1's excess loss). */
  scoreBuffer?: GPUBuffer;
  /** Distillation from a frozen teacher's logits (B,T,V) on the kept tokens. */
  distill?: DistillOptions;
}

export interface DistillOptions {
  teacherLogits: GPUBuffer;
  /** Weight λ of τ²·KL against (1 − λ)·CE. */
  lambda: number;
  /** Temperature τ of both softmaxes in the KL term. */
  temperature: number;
}

/** Per-step values written to uniforms before the step's command buffer is submitted. */
export interface StepUniforms {
  k: number;
  slot: number;
  adamw: AdamwStep;
}

/** Throw unless every input and target id is in [0, V). */
export function checkTokenIds(inputs: Int32Array, targets: Int32Array, V: number): void {
  for (let i = 0; i < inputs.length; i++) {
    if (!(inputs[i] >= 0 && inputs[i] < V && targets[i] >= 0 && targets[i] < V)) {
      throw new Error(`token id out of range [0, ${V}) at position ${i}: input ${inputs[i]}, target ${targets[i]}`);
    }
  }
}

export class Gpt2Gpu {
  readonly config: GPT2Config;
  readonly dims: BatchDims;
  /** Target tokens per batch, B·T. */
  readonly M: number;
  readonly layout: ParameterLayout;
  readonly ringSlots: number;
  readonly score: ScoreKind;
  readonly label: string;
  readonly rowSkipping: boolean;
  readonly trainable: boolean;
  readonly scoreBuffer?: GPUBuffer;
  readonly distill?: DistillOptions;

  readonly params: GPUBuffer;
  readonly grads: GPUBuffer;
  readonly adamM: GPUBuffer;
  readonly adamV: GPUBuffer;
  readonly inputs: GPUBuffer;
  readonly targets: GPUBuffer;
  readonly mask: GPUBuffer;
  readonly keptIndices: GPUBuffer;
  readonly selectStats: GPUBuffer;
  readonly normStats: GPUBuffer;
  readonly gradNormPartials: GPUBuffer;
  readonly decayRanges: GPUBuffer;
  readonly ring: GPUBuffer;
  /** (B) 1 + each sequence's last kept position, for skipping later positions in the backward. */
  readonly activeLengths: GPUBuffer;
  readonly acts: Record<ActivationName, GPUBuffer>;
  readonly dacts: Record<ActivationGradName, GPUBuffer>;
  readonly actAlloc: Record<ActivationName, TensorAllocation>;
  readonly dactAlloc: Record<ActivationGradName, TensorAllocation>;

  readonly uniforms: {
    select: GPUBuffer;
    crossentropyBackward: GPUBuffer;
    statistics: GPUBuffer;
    gradNorm: GPUBuffer;
    adamw: GPUBuffer;
    distill: GPUBuffer;
    activeLengths: GPUBuffer;
  };
  /** Per-token KL to the teacher (M) and the softmax statistics of both models at τ (M,4); distillation only. */
  readonly kl: GPUBuffer;
  readonly distillStats: GPUBuffer;
  readonly decayRangeCount: number;

  /** Forward pass to per-token losses and entropies. */
  readonly forward: Dispatch[];
  /** Top-k selection of the scores into mask and keptIndices. */
  readonly selection: Dispatch[];
  /** Loss means, VaR and kept count into the metric ring. */
  readonly statistics: Dispatch[];
  /** Backward from the masked cross-entropy to every parameter gradient. */
  readonly backward: Dispatch[];
  /** Gradient norm, clip scale and AdamW. */
  readonly optimizer: Dispatch[];

  readonly device: GPUDevice;
  private readonly buffers: GPUBuffer[] = [];
  /** Uniforms whose values depend on the kept count k, rewritten by writeStepUniforms. */
  private readonly keptCountUniforms: { buffer: GPUBuffer; pack: (k: number) => ArrayBuffer }[] = [];

  constructor(kernels: KernelCache, options: Gpt2GpuOptions) {
    validateConfig(options.config);
    const { config, dims, label } = options;
    if (!Number.isInteger(dims.B) || dims.B < 1 || !Number.isInteger(dims.T) || dims.T < 1) {
      throw new Error(`invalid batch shape B=${dims.B}, T=${dims.T}: both must be positive integers`);
    }
    if (dims.T > config.blockSize) {
      throw new Error(`sequence length T=${dims.T} exceeds the model's blockSize ${config.blockSize}`);
    }
    this.device = kernels.device;
    this.config = config;
    this.dims = dims;
    this.M = dims.B * dims.T;
    this.layout = parameterLayout(config);
    this.ringSlots = options.ringSlots;
    this.score = options.score;
    this.label = label;
    this.distill = options.distill;
    this.rowSkipping = (options.rowSkipping ?? true) && !options.distill;
    this.trainable = options.trainable ?? true;
    this.scoreBuffer = options.scoreBuffer;
    const P = this.layout.total;

    // Flat parameter-sized buffers; a frozen model gets placeholders for the others.
    const trainableSize = this.trainable ? P : 4;
    this.params = this.storage('params', P);
    this.grads = this.storage('grads', trainableSize);
    this.adamM = this.storage('adamM', trainableSize);
    this.adamV = this.storage('adamV', trainableSize);

    // Batch, selection, optimizer and metric buffers.
    this.inputs = this.storage('inputs', this.M);
    this.targets = this.storage('targets', this.M);
    this.mask = this.storage('mask', this.M);
    this.keptIndices = this.storage('keptIndices', this.M);
    this.selectStats = this.storage('selectStats', SELECT_STATS_LENGTH);
    this.normStats = this.storage('normStats', 2);
    this.gradNormPartials = this.storage('gradNormPartials', gradNormPartialCount(P));
    this.ring = this.storage('ring', this.ringSlots * METRIC_STRIDE);
    this.activeLengths = this.storage('activeLengths', dims.B);
    const decayRanges = this.layout.ordered.filter((slot) => slot.spec.decay).flatMap((slot) => dataRanges(slot));
    this.decayRangeCount = decayRanges.length;
    this.decayRanges = this.storage('decayRanges', 2 * decayRanges.length);
    this.device.queue.writeBuffer(this.decayRanges, 0, Uint32Array.from(decayRanges.flat()));

    // Activations and their gradients.
    this.actAlloc = tensorAllocations(ACTIVATION_TENSORS, config, dims);
    this.dactAlloc = tensorAllocations(this.trainable ? ACTIVATION_GRAD_TENSORS : [], config, dims) as Record<ActivationGradName, TensorAllocation>;
    this.acts = {} as Record<ActivationName, GPUBuffer>;
    for (const [name, alloc] of Object.entries(this.actAlloc) as [ActivationName, TensorAllocation][]) {
      this.acts[name] = this.storage(`acts.${name}`, alloc.totalElements);
    }
    this.dacts = {} as Record<ActivationGradName, GPUBuffer>;
    for (const [name, alloc] of Object.entries(this.dactAlloc) as [ActivationGradName, TensorAllocation][]) {
      this.dacts[name] = this.storage(`dacts.${name}`, alloc.totalElements);
    }

    // Uniforms rewritten every step (k, ring slot, learning rate and bias corrections).
    this.uniforms = {
      select: kernels.uniform(`${label}.select`, new ArrayBuffer(SelectSizes.byteSize)),
      crossentropyBackward: kernels.uniform(`${label}.crossentropyBackward`, new ArrayBuffer(CrossentropySizes.byteSize)),
      statistics: kernels.uniform(`${label}.statistics`, new ArrayBuffer(LossStatisticsSizes.byteSize)),
      gradNorm: kernels.uniform(`${label}.gradNorm`, new ArrayBuffer(GradNormSizes.byteSize)),
      adamw: kernels.uniform(`${label}.adamw`, new ArrayBuffer(AdamwParams.byteSize)),
      distill: kernels.uniform(`${label}.distill`, new ArrayBuffer(DistillSizes.byteSize)),
      activeLengths: kernels.uniform(`${label}.activeLengths`, new ArrayBuffer(ActiveLengthSizes.byteSize)),
    };
    this.kl = this.storage('kl', this.distill ? this.M : 1);
    this.distillStats = this.storage('distillStats', this.distill ? 4 * this.M : 4);

    this.forward = buildForward(kernels, this);
    this.selection = this.trainable ? buildSelection(kernels, this) : [];
    this.statistics = this.trainable ? buildStatistics(kernels, this) : [];
    this.backward = this.trainable ? buildBackward(kernels, this) : [];
    this.optimizer = this.trainable ? buildOptimizer(kernels, this) : [];
  }

  // --- slices used by the plan ----------------------------------------------------------

  private storage(name: string, elements: number): GPUBuffer {
    // Checked here because createBuffer past a limit only raises an uncaptured error.
    const bytes = elements * 4;
    const { maxBufferSize, maxStorageBufferBindingSize } = this.device.limits;
    if (bytes > Math.min(maxBufferSize, maxStorageBufferBindingSize)) {
      const limit = bytes > maxBufferSize ? 'maxBufferSize' : 'maxStorageBufferBindingSize';
      throw new LimitError(limit, bytes, Math.min(maxBufferSize, maxStorageBufferBindingSize),
        `buffer ${this.label}.${name} is too large: lower the batch size or the sequence length (attention stores B·NH·T·T floats, the logits B·T·V)`);
    }
    const buffer = createStorage(this.device, `${this.label}.${name}`, bytes);
    this.buffers.push(buffer);
    return buffer;
  }

  whole(buffer: GPUBuffer): BufferSlice {
    return { buffer, offset: 0, size: buffer.size };
  }

  /** Activation slice (layer l of a per-layer tensor). */
  act(name: ActivationName, layer = 0): BufferSlice {
    const alloc = this.actAlloc[name];
    return elementSlice(this.acts[name], layer * alloc.sliceStride, alloc.sliceElements);
  }

  /** Activation-gradient slice (layer l of a per-layer tensor). */
  dact(name: ActivationGradName, layer = 0): BufferSlice {
    const alloc = this.dactAlloc[name];
    return elementSlice(this.dacts[name], layer * alloc.sliceStride, alloc.sliceElements);
  }

  private parameterSlice(buffer: GPUBuffer, name: ParameterName, layer?: number): BufferSlice {
    const slot = this.layout.slots[name];
    if (slot.spec.perLayer) return elementSlice(buffer, layerOffset(slot, layer ?? 0), slot.layerSize);
    return elementSlice(buffer, slot.offset, slot.count);
  }

  /** Parameter slice. */
  param(name: ParameterName, layer?: number): BufferSlice {
    return this.parameterSlice(this.params, name, layer);
  }

  /** Parameter-gradient slice. */
  grad(name: ParameterName, layer?: number): BufferSlice {
    return this.parameterSlice(this.grads, name, layer);
  }

  /** Create a uniform buffer that writeStepUniforms rewrites from the kept count k (for kernels sized by k). */
  keptCountUniform(kernels: KernelCache, label: string, pack: (k: number) => ArrayBuffer): GPUBuffer {
    const buffer = kernels.uniform(`${this.label}.${label}`, pack(this.M));
    this.keptCountUniforms.push({ buffer, pack });
    return buffer;
  }

  // --- per-step host work ---------------------------------------------------------------

  /**
   * Executed FLOPs of one training step (forward, selection, statistics, backward,
   * optimizer) keeping k tokens; the active rows and pairs default to every position.
   */
  trainingStepFlops(k: number, active?: { activeRows: number; activePairs: number }): number {
    const counts = { kept: k, ...(active ?? this.allPositionsActive()) };
    return [this.forward, this.selection, this.statistics, this.backward, this.optimizer]
      .reduce((sum, list) => sum + sumFlops(list, counts), 0);
  }

  /** Active rows and causal pairs when every position is at or before a kept token. */
  allPositionsActive(): { activeRows: number; activePairs: number } {
    const { B, T } = this.dims;
    return { activeRows: B * T, activePairs: (B * T * (T + 1)) / 2 };
  }

  /** The per-sequence active lengths for kernels that skip positions after the last kept token, when row skipping is on. */
  get activeRows(): { lengths: BufferSlice; T: number } | undefined {
    return this.rowSkipping ? { lengths: this.whole(this.activeLengths), T: this.dims.T } : undefined;
  }

  uploadParameters(values: Float32Array): void {
    if (values.length !== this.layout.total) {
      throw new Error(`parameter array has ${values.length} elements, the layout needs ${this.layout.total}`);
    }
    this.device.queue.writeBuffer(this.params, 0, values.buffer, values.byteOffset, values.byteLength);
  }

  /** Write a batch's token ids after checking they are in [0, V). */
  uploadBatch(inputs: Int32Array, targets: Int32Array): void {
    if (inputs.length !== this.M || targets.length !== this.M) {
      throw new Error(`batch must hold B·T = ${this.M} inputs and targets, got ${inputs.length} and ${targets.length}`);
    }
    checkTokenIds(inputs, targets, this.config.vocabSize);
    this.device.queue.writeBuffer(this.inputs, 0, inputs.buffer, inputs.byteOffset, inputs.byteLength);
    this.device.queue.writeBuffer(this.targets, 0, targets.buffer, targets.byteOffset, targets.byteLength);
  }

  /**
   * Write k, the ring slot and the AdamW hyperparameters for the next step. With
   * micro-batches, k counts kept tokens of the whole logical batch of `logicalM` tokens.
   */
  writeStepUniforms({ k, slot, adamw }: StepUniforms, logicalM = this.M): void {
    if (!this.trainable) throw new Error(`${this.label} is a frozen model: it takes no training steps`);
    checkKeptCount('writeStepUniforms', k, logicalM);
    const queue = this.device.queue;
    const V = this.config.vocabSize;
    const P = this.layout.total;

    // Selection, loss backward and the kept-row kernels.
    queue.writeBuffer(this.uniforms.crossentropyBackward, 0, CrossentropySizes.pack({ M: this.M, V, invKept: 1 / k }));
    if (logicalM === this.M) {
      // The model's own selection and kept-row backward; micro-batches use neither.
      queue.writeBuffer(this.uniforms.select, 0, SelectSizes.pack({ M: this.M, k }));
      for (const { buffer, pack } of this.keptCountUniforms) queue.writeBuffer(buffer, 0, pack(k));
    }

    // Metric ring slot, clipping and AdamW.
    queue.writeBuffer(this.uniforms.statistics, 0, LossStatisticsSizes.pack({ M: this.M, slot }));
    queue.writeBuffer(this.uniforms.activeLengths, 0, ActiveLengthSizes.pack({ B: this.dims.B, T: this.dims.T, slot }));
    queue.writeBuffer(this.uniforms.gradNorm, 0, GradNormSizes.pack({
      P, perThread: GRAD_NORM_PER_THREAD, partialCount: gradNormPartialCount(P), slot, maxNorm: adamw.gradClip,
    }));
    queue.writeBuffer(this.uniforms.adamw, 0, AdamwParams.pack({
      P, rangeCount: this.decayRangeCount, lr: adamw.lr, beta1: adamw.beta1, beta2: adamw.beta2, eps: adamw.eps,
      weightDecay: adamw.weightDecay,
      biasCorrection1: 1 - adamw.beta1 ** adamw.step,
      biasCorrection2: 1 - adamw.beta2 ** adamw.step,
    }));
    if (this.distill) {
      const { lambda, temperature } = this.distill;
      queue.writeBuffer(this.uniforms.distill, 0, DistillSizes.pack({
        M: this.M, V, invKept: 1 / k, lambda, temperature, invTemperature: 1 / temperature,
      }));
    }
  }

  /** Zero the parameter gradients and the accumulated activation gradients: the step's first commands. */
  encodeZeroGradients(encoder: GPUCommandEncoder): void {
    if (!this.trainable) return;
    encoder.clearBuffer(this.grads);
    this.encodeZeroActivationGradients(encoder);
  }

  /** Zero the activation gradients that the backward accumulates into (between micro-batches too). */
  encodeZeroActivationGradients(encoder: GPUCommandEncoder): void {
    for (const [name, buffer] of Object.entries(this.dacts) as [ActivationGradName, GPUBuffer][]) {
      if (!OVERWRITTEN_GRAD_TENSORS.includes(name)) encoder.clearBuffer(buffer);
    }
  }

  /** Bytes of GPU memory this instance allocated. */
  get allocatedBytes(): number {
    return this.buffers.reduce((sum, b) => sum + b.size, 0);
  }

  /** Largest single buffer, in bytes (compare with maxStorageBufferBindingSize). */
  get largestBufferBytes(): number {
    return this.buffers.reduce((max, b) => Math.max(max, b.size), 0);
  }

  destroy(): void {
    for (const buffer of this.buffers) buffer.destroy();
    this.buffers.length = 0;
  }
}
