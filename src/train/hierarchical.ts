// Hierarchical ESLM: a shallow early-exit pass (the first E blocks, then the final
// LayerNorm and the LM head, with the model's current weights) scores each sequence by
// its mean token loss. Only the sequences at or above the sequence-level VaR go on to
// the full forward and backward, where token-level ESLM selects again. Dropped
// sequences skip all full-model work. The shallow pass is real work and counts in both
// FLOPs figures.

import { createStorage, elementSlice } from '../gpu/buffers.ts';
import { encodeDispatches, sumFlops, type Dispatch, type KernelCache } from '../gpu/kernel.ts';
import { gatherRowsU32, rowMeans, RowSizes } from '../gpu/ops/rows.ts';
import { SELECT_STATS_LENGTH, selectTopK } from '../gpu/ops/select.ts';
import { nominalForwardFlopsPerToken } from '../model/flops.ts';
import { Gpt2Gpu } from '../model/gpt2.ts';
import { layerOffset, parameterLayout } from '../model/layout.ts';

export class HierarchicalPlan {
  /** The first `exitLayers` blocks with the final LayerNorm and LM head, on the whole batch. */
  readonly shallow: Gpt2Gpu;
  private readonly dispatches: Dispatch[];
  private readonly buffers: GPUBuffer[] = [];

  /**
   * `main` is built for keptSequences rows; the plan fills its inputs and targets with
   * the kept sequences of each batch of `batchSequences` rows.
   */
  constructor(
    kernels: KernelCache,
    readonly main: Gpt2Gpu,
    readonly batchSequences: number,
    readonly keptSequences: number,
    readonly exitLayers: number,
  ) {
    const { config, dims } = main;
    if (!Number.isInteger(exitLayers) || exitLayers < 1 || exitLayers > config.nLayer) {
      throw new Error(`invalid exit layer count ${exitLayers}: expected an integer in [1, ${config.nLayer}]`);
    }
    if (dims.B !== keptSequences) throw new Error(`the main model must have ${keptSequences} rows, has ${dims.B}`);
    const T = dims.T;
    this.shallow = new Gpt2Gpu(kernels, {
      config: { ...config, nLayer: exitLayers }, dims: { B: batchSequences, T }, score: 'loss', ringSlots: 1,
      label: `${main.label}.shallow`, trainable: false,
    });

    const storage = (name: string, elements: number) => {
      const buffer = createStorage(kernels.device, `${main.label}.hierarchical.${name}`, elements * 4);
      this.buffers.push(buffer);
      return buffer;
    };
    const sequenceScores = storage('sequenceScores', batchSequences);
    const sequenceMask = storage('sequenceMask', batchSequences);
    const keptList = storage('keptSequences', batchSequences);
    const stats = storage('selectStats', SELECT_STATS_LENGTH);
    const rows = kernels.uniform(`${main.label}.hierarchical.rows`, RowSizes.pack({ rows: keptSequences, C: T }));
    const whole = (buffer: GPUBuffer) => ({ buffer, offset: 0, size: buffer.size });

    this.dispatches = [
      ...this.shallow.forward,
      ...rowMeans(kernels, { means: whole(sequenceScores), values: this.shallow.act('losses') }, { rows: batchSequences, C: T }),
      ...selectTopK(kernels, {
        mask: whole(sequenceMask), keptIndices: whole(keptList), selectStats: elementSlice(stats, 0, SELECT_STATS_LENGTH),
        scores: whole(sequenceScores),
      }, { M: batchSequences, k: keptSequences }),
      ...gatherRowsU32(kernels, { out: whole(main.inputs), inp: whole(this.shallow.inputs), indices: whole(keptList) }, { maxRows: keptSequences, C: T }, rows),
      ...gatherRowsU32(kernels, { out: whole(main.targets), inp: whole(this.shallow.targets), indices: whole(keptList) }, { maxRows: keptSequences, C: T }, rows),
    ];
  }

  uploadBatch(inputs: Int32Array, targets: Int32Array): void {
    this.shallow.uploadBatch(inputs, targets);
  }

  /** Copy the main model's current weights of the first exitLayers blocks, embeddings and head into the shallow model. */
  private encodeWeightCopy(encoder: GPUCommandEncoder): void {
    const mainLayout = this.main.layout;
    const shallowLayout = parameterLayout(this.shallow.config);
    for (const slot of mainLayout.ordered) {
      const target = shallowLayout.slots[slot.spec.name];
      // Layer slices share one stride in both layouts, so the first exitLayers slices are one contiguous range.
      const elements = slot.spec.perLayer
        ? layerOffset(slot, this.exitLayers - 1) - slot.offset + slot.layerSize
        : slot.count;
      encoder.copyBufferToBuffer(this.main.params, slot.offset * 4, this.shallow.params, target.offset * 4, elements * 4);
    }
  }

  /** Encode the shallow pass and the sequence selection; returns their executed FLOPs. */
  encode(encoder: GPUCommandEncoder): number {
    this.encodeWeightCopy(encoder);
    encodeDispatches(encoder, this.dispatches, `${this.main.label}.hierarchical`);
    return sumFlops(this.dispatches, this.keptSequences);
  }

  /** Nominal FLOPs of the shallow forward over the whole batch. */
  nominalFlops(): number {
    return this.batchSequences * this.main.dims.T * nominalForwardFlopsPerToken(this.shallow.config, this.main.dims.T);
  }

  destroy(): void {
    this.shallow.destroy();
    for (const buffer of this.buffers) buffer.destroy();
  }
}
