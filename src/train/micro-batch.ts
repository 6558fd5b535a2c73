// Masked gradient accumulation: a logical batch of n micro-batches is scored in full
// before anything is selected, so the VaR quantile and k are those of the whole logical
// batch. Each micro-batch then runs its forward again (activations of only one
// micro-batch exist at a time) and its dense masked backward with its slice of the
// global mask and the global 1/k, accumulating into the parameter gradients. The
// recomputed forward is real work and counts in the executed FLOPs.

import { createStorage, elementSlice } from '../gpu/buffers.ts';
import { encodeDispatches, sumFlops, type Dispatch, type KernelCache } from '../gpu/kernel.ts';
import { lossStatistics, LossStatisticsSizes } from '../gpu/ops/metrics.ts';
import { SELECT_STATS_LENGTH, selectTopK, SelectSizes } from '../gpu/ops/select.ts';
import { checkTokenIds, type Gpt2Gpu } from '../model/gpt2.ts';

export class MicroBatchPlan {
  /** Tokens in the logical batch: n·B_micro·T. */
  readonly M: number;
  private readonly inputs: GPUBuffer;
  private readonly targets: GPUBuffer;
  private readonly losses: GPUBuffer;
  private readonly entropies: GPUBuffer;
  private readonly mask: GPUBuffer;
  private readonly keptIndices: GPUBuffer;
  private readonly selectStats: GPUBuffer;
  private readonly selectUniform: GPUBuffer;
  private readonly statisticsUniform: GPUBuffer;
  private readonly selection: Dispatch[];
  private readonly statistics: Dispatch[];
  private readonly buffers: GPUBuffer[] = [];

  constructor(kernels: KernelCache, readonly model: Gpt2Gpu, readonly count: number) {
    if (model.rowSkipping) throw new Error('micro-batch accumulation needs the dense masked backward (rowSkipping false)');
    if (model.scoreBuffer || model.distill) throw new Error('micro-batch accumulation supports loss and entropy scores without a frozen model');
    this.M = model.M * count;
    const label = `${model.label}.logical`;
    const storage = (name: string, elements: number) => {
      const buffer = createStorage(kernels.device, `${label}.${name}`, elements * 4);
      this.buffers.push(buffer);
      return buffer;
    };
    this.inputs = storage('inputs', this.M);
    this.targets = storage('targets', this.M);
    this.losses = storage('losses', this.M);
    this.entropies = storage('entropies', this.M);
    this.mask = storage('mask', this.M);
    this.keptIndices = storage('keptIndices', this.M);
    this.selectStats = storage('selectStats', SELECT_STATS_LENGTH);
    this.selectUniform = kernels.uniform(`${label}.select`, new ArrayBuffer(SelectSizes.byteSize));
    this.statisticsUniform = kernels.uniform(`${label}.statistics`, new ArrayBuffer(LossStatisticsSizes.byteSize));
    const whole = (buffer: GPUBuffer) => elementSlice(buffer, 0, this.M);

    this.selection = selectTopK(kernels, {
      mask: whole(this.mask), keptIndices: whole(this.keptIndices), selectStats: elementSlice(this.selectStats, 0, SELECT_STATS_LENGTH),
      scores: whole(model.score === 'entropy' ? this.entropies : this.losses),
    }, { M: this.M, k: this.M }, this.selectUniform);
    this.statistics = lossStatistics(kernels, {
      ring: model.whole(model.ring), losses: whole(this.losses), entropies: whole(this.entropies), mask: whole(this.mask),
      selectStats: elementSlice(this.selectStats, 0, SELECT_STATS_LENGTH), uniform: this.statisticsUniform,
    }, { M: this.M });
  }

  uploadBatch(inputs: Int32Array, targets: Int32Array): void {
    if (inputs.length !== this.M || targets.length !== this.M) {
      throw new Error(`logical batch must hold ${this.M} inputs and targets, got ${inputs.length} and ${targets.length}`);
    }
    checkTokenIds(inputs, targets, this.model.config.vocabSize);
    const queue = this.model.device.queue;
    queue.writeBuffer(this.inputs, 0, inputs.buffer, inputs.byteOffset, inputs.byteLength);
    queue.writeBuffer(this.targets, 0, targets.buffer, targets.byteOffset, targets.byteLength);
  }

  /** Write the logical batch's kept count and ring slot; the model's own uniforms are written by the caller. */
  writeStepUniforms(k: number, slot: number): void {
    const queue = this.model.device.queue;
    queue.writeBuffer(this.selectUniform, 0, SelectSizes.pack({ M: this.M, k }));
    queue.writeBuffer(this.statisticsUniform, 0, LossStatisticsSizes.pack({ M: this.M, slot }));
  }

  /** Encode the whole logical step (gradients zeroed first); returns its executed FLOPs for k kept tokens. */
  encode(encoder: GPUCommandEncoder, k: number): number {
    const { model } = this;
    const bytes = model.M * 4;
    const loadMicroBatch = (i: number) => {
      encoder.copyBufferToBuffer(this.inputs, i * bytes, model.inputs, 0, bytes);
      encoder.copyBufferToBuffer(this.targets, i * bytes, model.targets, 0, bytes);
    };

    // Phase 1: score every micro-batch.
    model.encodeZeroGradients(encoder);
    for (let i = 0; i < this.count; i++) {
      loadMicroBatch(i);
      encodeDispatches(encoder, model.forward, `${model.label}.score${i}`);
      encoder.copyBufferToBuffer(model.acts.losses, 0, this.losses, i * bytes, bytes);
      encoder.copyBufferToBuffer(model.acts.entropies, 0, this.entropies, i * bytes, bytes);
    }

    // Phase 2: one selection over the logical batch, and its statistics.
    encodeDispatches(encoder, [...this.selection, ...this.statistics], `${model.label}.selectLogical`);

    // Phase 3: forward again and the masked backward per micro-batch, gradients accumulating.
    for (let i = 0; i < this.count; i++) {
      loadMicroBatch(i);
      encoder.copyBufferToBuffer(this.mask, i * bytes, model.mask, 0, bytes);
      model.encodeZeroActivationGradients(encoder);
      encodeDispatches(encoder, [...model.forward, ...model.backward], `${model.label}.backward${i}`);
    }

    // Phase 4: clip and update once.
    encodeDispatches(encoder, model.optimizer, `${model.label}.optimizer`);
    const perMicro = 2 * sumFlops(model.forward, model.M) + sumFlops(model.backward, model.M);
    return this.count * perMicro + sumFlops(this.selection, k) + sumFlops(this.statistics, k) + sumFlops(model.optimizer, k);
  }

  destroy(): void {
    for (const buffer of this.buffers) buffer.destroy();
  }
}
