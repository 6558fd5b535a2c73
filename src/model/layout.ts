// The one table of GPT-2 parameter tensors. Sizes, offsets into the flat parameter
// (and gradient, and AdamW moment) buffers, labels, checkpoint layout and test
// comparisons are all derived from PARAMETER_TENSORS; no other list of names exists.
//
// Layout and naming follow llm.c (wte, wpe, per-layer tensors stacked over L), with
// weight matrices stored (out, in), so a linear layer computes out = inp · Wᵀ + b.
// The LM head is tied to wte, as in GPT-2.

import type { GPT2Config } from './config.ts';

export type ParameterName =
  | 'wte' | 'wpe'
  | 'ln1w' | 'ln1b' | 'qkvw' | 'qkvb' | 'attprojw' | 'attprojb'
  | 'ln2w' | 'ln2b' | 'fcw' | 'fcb' | 'fcprojw' | 'fcprojb'
  | 'lnfw' | 'lnfb';

export interface ParameterTensorSpec {
  name: ParameterName;
  /** Shape in the shape vocabulary; a leading L means one slice per layer. */
  shape: (config: GPT2Config) => number[];
  /** Shape written with symbols, for docs and logs. */
  symbolicShape: string;
  /** Whether AdamW applies weight decay (2-D weight matrices only, as nanoGPT does). */
  decay: boolean;
  /** True when the leading dimension is L (one slice per block). */
  perLayer: boolean;
}

export const PARAMETER_TENSORS: readonly ParameterTensorSpec[] = [
  { name: 'wte', shape: (c) => [c.vocabSize, c.nEmbd], symbolicShape: '(V,C)', decay: true, perLayer: false },
  { name: 'wpe', shape: (c) => [c.blockSize, c.nEmbd], symbolicShape: '(maxT,C)', decay: true, perLayer: false },
  { name: 'ln1w', shape: (c) => [c.nLayer, c.nEmbd], symbolicShape: '(L,C)', decay: false, perLayer: true },
  { name: 'ln1b', shape: (c) => [c.nLayer, c.nEmbd], symbolicShape: '(L,C)', decay: false, perLayer: true },
  { name: 'qkvw', shape: (c) => [c.nLayer, 3 * c.nEmbd, c.nEmbd], symbolicShape: '(L,3C,C)', decay: true, perLayer: true },
  { name: 'qkvb', shape: (c) => [c.nLayer, 3 * c.nEmbd], symbolicShape: '(L,3C)', decay: false, perLayer: true },
  { name: 'attprojw', shape: (c) => [c.nLayer, c.nEmbd, c.nEmbd], symbolicShape: '(L,C,C)', decay: true, perLayer: true },
  { name: 'attprojb', shape: (c) => [c.nLayer, c.nEmbd], symbolicShape: '(L,C)', decay: false, perLayer: true },
  { name: 'ln2w', shape: (c) => [c.nLayer, c.nEmbd], symbolicShape: '(L,C)', decay: false, perLayer: true },
  { name: 'ln2b', shape: (c) => [c.nLayer, c.nEmbd], symbolicShape: '(L,C)', decay: false, perLayer: true },
  { name: 'fcw', shape: (c) => [c.nLayer, 4 * c.nEmbd, c.nEmbd], symbolicShape: '(L,4C,C)', decay: true, perLayer: true },
  { name: 'fcb', shape: (c) => [c.nLayer, 4 * c.nEmbd], symbolicShape: '(L,4C)', decay: false, perLayer: true },
  { name: 'fcprojw', shape: (c) => [c.nLayer, c.nEmbd, 4 * c.nEmbd], symbolicShape: '(L,C,4C)', decay: true, perLayer: true },
  { name: 'fcprojb', shape: (c) => [c.nLayer, c.nEmbd], symbolicShape: '(L,C)', decay: false, perLayer: true },
  { name: 'lnfw', shape: (c) => [c.nEmbd], symbolicShape: '(C)', decay: false, perLayer: false },
  { name: 'lnfb', shape: (c) => [c.nEmbd], symbolicShape: '(C)', decay: false, perLayer: false },
];

export interface ParameterSlot {
  spec: ParameterTensorSpec;
  shape: number[];
  /** Element offset into the flat buffer. */
  offset: number;
  /**
   * Elements reserved in the flat buffer: [offset, offset + size) covers the whole
   * tensor, including the zero padding between layer slices of a per-layer tensor.
   */
  size: number;
  /** Real elements (product of shape), padding excluded. */
  count: number;
  /** Real elements of one layer slice (count / L); equals count for other tensors. */
  layerSize: number;
  /** Distance between layer slices: layerSize rounded up to ALIGN_ELEMENTS. */
  layerStride: number;
}

export interface ParameterLayout {
  slots: Record<ParameterName, ParameterSlot>;
  /** Slots in table order. */
  ordered: ParameterSlot[];
  /** Total element count of the flat buffer. */
  total: number;
}

/**
 * Offsets of tensors and of layer slices are rounded up to a multiple of ALIGN_ELEMENTS
 * float32 elements (256 bytes), so every tensor and every layer slice can be bound on
 * its own: WebGPU's minStorageBufferOffsetAlignment is at most 256 bytes.
 */
export const ALIGN_ELEMENTS = 64;

export function parameterLayout(config: GPT2Config): ParameterLayout {
  const slots = {} as Record<ParameterName, ParameterSlot>;
  const ordered: ParameterSlot[] = [];
  let offset = 0;
  for (const spec of PARAMETER_TENSORS) {
    const shape = spec.shape(config);
    const count = shape.reduce((a, b) => a * b, 1);
    const layers = spec.perLayer ? shape[0] : 1;
    const layerSize = count / layers;
    const layerStride = alignElements(layerSize);
    const size = spec.perLayer ? layerStride * (layers - 1) + layerSize : count;
    const slot: ParameterSlot = { spec, shape, offset, size, count, layerSize, layerStride };
    slots[spec.name] = slot;
    ordered.push(slot);
    offset += alignElements(size);
  }
  return { slots, ordered, total: offset };
}

export function alignElements(elements: number): number {
  return Math.ceil(elements / ALIGN_ELEMENTS) * ALIGN_ELEMENTS;
}

/** Number of real parameters (padding excluded). */
export function parameterCount(config: GPT2Config): number {
  return parameterLayout(config).ordered.reduce((sum, slot) => sum + slot.count, 0);
}

/** Element offset of layer l's slice (layerSize elements) of a per-layer tensor. */
export function layerOffset(slot: ParameterSlot, layer: number): number {
  if (!slot.spec.perLayer) throw new Error(`${slot.spec.name} is not a per-layer tensor`);
  if (!Number.isInteger(layer) || layer < 0 || layer >= slot.shape[0]) {
    throw new Error(`layer ${layer} out of range for ${slot.spec.name} with ${slot.shape[0]} layers`);
  }
  return slot.offset + layer * slot.layerStride;
}

/** Element ranges [start, end) of the real (non-padding) data of a tensor, one per layer slice. */
export function dataRanges(slot: ParameterSlot): [number, number][] {
  const layers = slot.spec.perLayer ? slot.shape[0] : 1;
  const ranges: [number, number][] = [];
  for (let l = 0; l < layers; l++) {
    const start = slot.offset + l * slot.layerStride;
    ranges.push([start, start + slot.layerSize]);
  }
  return ranges;
}
