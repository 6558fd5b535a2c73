// Model checkpoints as safetensors files. One file serves both uses of a checkpoint:
// resuming training exactly (parameters, AdamW moments, step count and experiment
// config) and loading a frozen reference or teacher model (parameters only).
//
// No JSON side file exists: the model config, tokenizer and run metadata are JSON
// strings in the safetensors `__metadata__` map, so the one file is self-describing.
// This module has no Node imports and runs in the browser, in the worker and in Node.
//
// Safetensors layout (https://huggingface.co/docs/safetensors): an 8-byte little-endian
// u64 header length N, then N bytes of UTF-8 JSON
//   { "__metadata__": { string: string }, "<name>": { "dtype", "shape", "data_offsets" } }
// then the tensor data. data_offsets are [begin, end) byte offsets relative to the
// first byte after the header, and the tensors cover that byte buffer with no gaps.

import { validateConfig, type GPT2Config } from '../model/config.ts';
import type { Gpt2Gpu } from '../model/gpt2.ts';
import { dataRanges, parameterCount, parameterLayout, PARAMETER_TENSORS } from '../model/layout.ts';
import { CharTokenizer, Gpt2Tokenizer, type CharVocabularyJSON, type Tokenizer } from '../data/tokenizer.ts';

// --- safetensors ------------------------------------------------------------------------

/** A tensor to write: row-major float32 data whose length is the product of shape. */
export interface TensorEntry {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A tensor read from a safetensors file. Its data is a copy, never a view of the file. */
export interface DecodedTensor {
  shape: number[];
  dtype: 'F32';
  data: Float32Array;
}

export interface DecodedSafetensors {
  /** Tensors in the order of their data in the file (the writer's order for files from encodeSafetensors). */
  tensors: Map<string, DecodedTensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
const HEADER_LENGTH_BYTES = 8;
/** The header is padded with spaces so the tensor data starts at a multiple of 8 bytes. */
const HEADER_ALIGN_BYTES = 8;
const F32_BYTES = 4;

/** Safetensors data is little-endian, but typed arrays use the host's byte order. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Encodes tensors and string metadata as a safetensors file. Tensors are stored
 * contiguously in the given order, and the header lists them in that order after
 * `__metadata__` (omitted when metadata is empty). Throws on a duplicate or reserved
 * name, an invalid shape, or data whose length does not match the shape.
 */
export function encodeSafetensors(tensors: TensorEntry[], metadata: Record<string, string>): Uint8Array {
  const headerEntries: string[] = [];
  const metadataEntries = Object.entries(metadata);
  for (const [key, value] of metadataEntries) {
    if (typeof value !== 'string') throw new Error(`safetensors metadata value for "${key}" must be a string, got ${typeof value}`);
  }
  if (metadataEntries.length > 0) headerEntries.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);

  // Header keys are written one by one: JSON.stringify of an object would move
  // integer-like names such as "0" to the front and break the stated order.
  const names = new Set<string>();
  let dataBytes = 0;
  for (const tensor of tensors) {
    if (tensor.name === METADATA_KEY) throw new Error(`tensor name "${METADATA_KEY}" is reserved for safetensors metadata`);
    if (names.has(tensor.name)) throw new Error(`duplicate tensor name "${tensor.name}"`);
    names.add(tensor.name);
    const elements = shapeElements(tensor.name, tensor.shape);
    if (tensor.data.length !== elements) {
      throw new Error(`tensor "${tensor.name}": shape [${tensor.shape.join(', ')}] needs ${elements} elements, data has ${tensor.data.length}`);
    }
    const begin = dataBytes;
    dataBytes += tensor.data.length * F32_BYTES;
    const info = { dtype: 'F32', shape: tensor.shape, data_offsets: [begin, dataBytes] };
    headerEntries.push(`${JSON.stringify(tensor.name)}:${JSON.stringify(info)}`);
  }

  const headerText = new TextEncoder().encode(`{${headerEntries.join(',')}}`);
  const headerLength = Math.ceil(headerText.length / HEADER_ALIGN_BYTES) * HEADER_ALIGN_BYTES;
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const bytes = new Uint8Array(dataStart + dataBytes);

  const view = new DataView(bytes.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  bytes.set(headerText, HEADER_LENGTH_BYTES);
  bytes.fill(0x20, HEADER_LENGTH_BYTES + headerText.length, dataStart);

  let offset = dataStart;
  for (const tensor of tensors) {
    writeFloat32LittleEndian(bytes, offset, tensor.data);
    offset += tensor.data.byteLength;
  }
  return bytes;
}

/**
 * Decodes a safetensors file whose tensors are all F32. Throws when the header length
 * exceeds the file or the header is not valid UTF-8 JSON. Throws a message naming the
 * tensor when its dtype is not F32, its shape or data_offsets entry is malformed, its
 * offsets fall outside the data, overlap or leave gaps, or its byte length differs from
 * its shape's.
 */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  if (bytes.length < HEADER_LENGTH_BYTES) {
    throw new Error(`invalid safetensors file: ${bytes.length} bytes is shorter than the 8-byte header length field`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLengthBig = view.getBigUint64(0, true);
  const available = bytes.length - HEADER_LENGTH_BYTES;
  if (headerLengthBig > BigInt(available)) {
    // A text or other binary file reads as a huge length; a real but cut file as a little too much.
    const kind = headerLengthBig > BigInt(2 ** 40) ? 'not a safetensors file' : 'truncated file?';
    throw new Error(`invalid safetensors file: header length ${headerLengthBig} exceeds the ${available} bytes after the length field (${kind})`);
  }
  const headerLength = Number(headerLengthBig);
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const dataLength = bytes.length - dataStart;
  const header = parseHeader(bytes.subarray(HEADER_LENGTH_BYTES, dataStart));

  let metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(value);
      continue;
    }
    entries.push({ name, ...parseTensorInfo(name, value, dataLength) });
  }
  // Ordered by data offset: JSON.parse moves integer-like keys first, so the header's own
  // key order is lost.
  const ordered = sortContiguous(entries, dataLength);

  const tensors = new Map<string, DecodedTensor>();
  for (const { name, shape, begin, end } of ordered) {
    const data = readFloat32LittleEndian(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { shape, dtype: 'F32', data });
  }
  return { tensors, metadata };
}

function parseHeader(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new Error('invalid safetensors header: not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new Error(`invalid safetensors header: JSON parse failed: ${(error as Error).message}`);
  }
  if (!isPlainObject(header)) throw new Error('invalid safetensors header: expected a JSON object');
  return header;
}

function parseMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new Error(`invalid safetensors header: "${METADATA_KEY}" must be an object of strings`);
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new Error(`invalid safetensors header: "${METADATA_KEY}" value for "${key}" must be a string, got ${JSON.stringify(entry)}`);
    }
    metadata[key] = entry;
  }
  return metadata;
}

function parseTensorInfo(name: string, value: unknown, dataLength: number): { shape: number[]; begin: number; end: number } {
  if (!isPlainObject(value)) throw new Error(`tensor "${name}": header entry must be an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (dtype !== 'F32') {
    throw new Error(`tensor "${name}" has dtype ${JSON.stringify(dtype)}, but only F32 is supported (convert the file to float32)`);
  }
  if (!Array.isArray(shape)) throw new Error(`tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  const elements = shapeElements(name, shape);

  const validOffsets = Array.isArray(offsets) && offsets.length === 2 && offsets.every((o) => Number.isSafeInteger(o) && o >= 0);
  if (!validOffsets) {
    throw new Error(`tensor "${name}": data_offsets must be two non-negative integers [begin, end], got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    throw new Error(`tensor "${name}": data_offsets [${begin}, ${end}] out of range for ${dataLength} data bytes`);
  }
  if (end - begin !== elements * F32_BYTES) {
    throw new Error(
      `tensor "${name}": shape [${shape.join(', ')}] needs ${elements * F32_BYTES} bytes ` +
        `(${elements} F32 elements), but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { shape: [...shape], begin, end };
}

/** Sorts tensors by offset, and throws unless their byte ranges tile [0, dataLength) without overlap or gaps, as the format requires. */
function sortContiguous<E extends { name: string; begin: number; end: number }>(entries: E[], dataLength: number): E[] {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: { name: string; end: number } | undefined;
  for (const entry of sorted) {
    const previousEnd = previous?.end ?? 0;
    if (entry.begin < previousEnd) {
      throw new Error(`tensor "${entry.name}": data_offsets [${entry.begin}, ${entry.end}] overlap tensor "${previous!.name}", which ends at ${previousEnd}`);
    }
    if (entry.begin > previousEnd) {
      const after = previous ? `after tensor "${previous.name}"` : 'at the start of the data';
      throw new Error(`tensor "${entry.name}": data_offsets begin at ${entry.begin}, leaving a gap of ${entry.begin - previousEnd} bytes ${after}`);
    }
    previous = entry;
  }
  const covered = previous?.end ?? 0;
  if (covered !== dataLength) {
    throw new Error(`invalid safetensors file: tensors cover ${covered} of the ${dataLength} data bytes after the header`);
  }
  return sorted;
}

function shapeElements(name: string, shape: unknown[]): number {
  let elements = 1;
  for (const dimension of shape) {
    if (!Number.isSafeInteger(dimension) || (dimension as number) < 0) {
      throw new Error(`tensor "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    elements *= dimension as number;
  }
  return elements;
}

function writeFloat32LittleEndian(target: Uint8Array, offset: number, data: Float32Array): void {
  if (LITTLE_ENDIAN_HOST) {
    target.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return;
  }
  const view = new DataView(target.buffer, target.byteOffset + offset, data.byteLength);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * F32_BYTES, data[i]!, true);
}

/** Copies little-endian float32 bytes into a new array, so any byte alignment in the file works. */
function readFloat32LittleEndian(source: Uint8Array): Float32Array {
  if (LITTLE_ENDIAN_HOST) {
    // An explicit copy: a Node Buffer's slice() returns a view of its (pooled) memory.
    const data = new Float32Array(source.length / F32_BYTES);
    new Uint8Array(data.buffer).set(source);
    return data;
  }
  const view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  const data = new Float32Array(source.length / F32_BYTES);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * F32_BYTES, true);
  return data;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// --- flat parameter layout ↔ named tensors ------------------------------------------------

/**
 * Splits a flat parameter-layout array (parameters, gradients or AdamW moments) into one
 * tensor per parameter, named `prefix + name`, in the layout table's order. Per-layer
 * tensors keep their leading L dimension, and the alignment padding is dropped.
 */
export function checkpointFromFlat(config: GPT2Config, flat: Float32Array, prefix = ''): TensorEntry[] {
  const layout = parameterLayout(config);
  if (flat.length !== layout.total) {
    throw new Error(`flat parameter array has ${flat.length} elements, the layout of this config needs ${layout.total}`);
  }
  return layout.ordered.map((slot) => {
    const data = new Float32Array(slot.count);
    let written = 0;
    for (const [start, end] of dataRanges(slot)) {
      data.set(flat.subarray(start, end), written);
      written += end - start;
    }
    return { name: prefix + slot.spec.name, shape: [...slot.shape], data };
  });
}

/**
 * Assembles a flat parameter-layout array, padding zero, from the tensors named
 * `prefix + name`. Throws when a tensor is missing or has the wrong shape, or when a
 * name that starts with prefix is not a parameter. Names without the prefix are ignored,
 * so one map can hold parameters and both AdamW moments under different prefixes.
 */
export function flatFromCheckpoint(
  config: GPT2Config,
  tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array }>,
  prefix = '',
): Float32Array {
  const layout = parameterLayout(config);
  const known = new Set(PARAMETER_TENSORS.map((spec) => prefix + spec.name));
  for (const name of tensors.keys()) {
    if (name.startsWith(prefix) && !known.has(name)) {
      throw new Error(`unknown tensor "${name}": not a GPT-2 parameter of this layout (expected one of ${[...known].join(', ')})`);
    }
  }

  const flat = new Float32Array(layout.total);
  for (const slot of layout.ordered) {
    const name = prefix + slot.spec.name;
    const tensor = tensors.get(name);
    if (!tensor) throw new Error(`missing tensor "${name}" with shape [${slot.shape.join(', ')}]`);
    const sameShape = tensor.shape.length === slot.shape.length && tensor.shape.every((d, i) => d === slot.shape[i]);
    if (!sameShape) {
      throw new Error(`tensor "${name}" has shape [${tensor.shape.join(', ')}], expected [${slot.shape.join(', ')}] for this config`);
    }
    if (tensor.data.length !== slot.count) {
      throw new Error(`tensor "${name}" has ${tensor.data.length} elements, its shape needs ${slot.count}`);
    }
    let read = 0;
    for (const [start, end] of dataRanges(slot)) {
      flat.set(tensor.data.subarray(read, read + end - start), start);
      read += end - start;
    }
  }
  return flat;
}

// --- checkpoints ------------------------------------------------------------------------

export const CHECKPOINT_FORMAT = 'eslm-playground-checkpoint';
export const CHECKPOINT_VERSION = '1';

/** Tensor-name prefixes of the three flat arrays a checkpoint can hold. */
export const PARAM_PREFIX = 'param.';
export const ADAM_M_PREFIX = 'adam_m.';
export const ADAM_V_PREFIX = 'adam_v.';

/** The tokenizer a checkpoint was trained with: a char vocabulary in full, or GPT-2 BPE by name. */
export type CheckpointTokenizer =
  | { name: 'char'; vocabulary: CharVocabularyJSON }
  | { name: 'gpt2' };

export interface CheckpointAdam {
  /** First moments, in the flat parameter layout. */
  m: Float32Array;
  /** Second moments, in the flat parameter layout. */
  v: Float32Array;
  /** AdamW updates already applied; the next update uses step + 1 in its bias corrections. */
  step: number;
}

export interface CheckpointMeta {
  strategy?: string;
  alpha?: number;
  /** Training steps finished when the checkpoint was taken; a resumed run re-seeds its batch sampler and skips this many batches. */
  completedSteps?: number;
  /** The run's ExperimentConfig as plain JSON. */
  experiment?: unknown;
  /** ISO 8601 time the checkpoint was taken. */
  createdAt: string;
}

export interface Checkpoint {
  config: GPT2Config;
  tokenizer: CheckpointTokenizer;
  /** Parameters in the flat layout of src/model/layout.ts, padding zero. */
  params: Float32Array;
  /** AdamW state, present in checkpoints meant for resuming and absent in frozen reference models. */
  adam?: CheckpointAdam;
  meta: CheckpointMeta;
}

const CONFIG_FIELDS = ['nLayer', 'nHead', 'nEmbd', 'blockSize', 'vocabSize'] as const satisfies readonly (keyof GPT2Config)[];

/**
 * Encodes a checkpoint as a safetensors file: tensors `param.<name>` and, with AdamW
 * state, `adam_m.<name>` and `adam_v.<name>`. Metadata keys are `format`, `version`,
 * `config`, `tokenizer` and `meta` (JSON strings), plus `adam_step` when AdamW state
 * is present. Throws when the checkpoint would not load back.
 */
export function saveCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const config = pickConfig(checkpoint.config);
  validateConfig(config);
  checkTokenizerVocabulary(checkpoint.tokenizer, config);
  checkMeta(checkpoint.meta);

  const tensors = checkpointFromFlat(config, checkpoint.params, PARAM_PREFIX);
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: JSON.stringify(config),
    tokenizer: JSON.stringify(checkpoint.tokenizer),
    meta: JSON.stringify(checkpoint.meta),
  };
  if (checkpoint.adam) {
    const { m, v, step } = checkpoint.adam;
    checkAdamStep(step);
    tensors.push(...checkpointFromFlat(config, m, ADAM_M_PREFIX), ...checkpointFromFlat(config, v, ADAM_V_PREFIX));
    metadata.adam_step = String(step);
  }
  return encodeSafetensors(tensors, metadata);
}

/**
 * Decodes and validates a checkpoint written by saveCheckpoint: the format tag and
 * version, the model config, the tokenizer's vocabulary size against config.vocabSize,
 * the metadata, and every tensor's presence and shape. Tensors outside the three
 * prefixes are rejected.
 */
export function loadCheckpoint(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    const found = metadata.format === undefined ? 'no format tag' : `format "${metadata.format}"`;
    throw new Error(`not an ESLM Playground checkpoint: the safetensors metadata has ${found}, expected "${CHECKPOINT_FORMAT}"`);
  }
  if (metadata.version !== CHECKPOINT_VERSION) {
    throw new Error(`unsupported checkpoint version ${JSON.stringify(metadata.version)}: this build reads only version "${CHECKPOINT_VERSION}"`);
  }

  const config = parseConfig(parseMetadataJson(metadata, 'config'));
  const tokenizer = parseTokenizer(parseMetadataJson(metadata, 'tokenizer'));
  checkTokenizerVocabulary(tokenizer, config);
  const meta = parseMetadataJson(metadata, 'meta');
  checkMeta(meta);

  for (const name of tensors.keys()) {
    if (![PARAM_PREFIX, ADAM_M_PREFIX, ADAM_V_PREFIX].some((prefix) => name.startsWith(prefix))) {
      throw new Error(`unknown tensor "${name}" in checkpoint: names must start with ${PARAM_PREFIX}, ${ADAM_M_PREFIX} or ${ADAM_V_PREFIX}`);
    }
  }
  const params = flatFromCheckpoint(config, tensors, PARAM_PREFIX);

  const hasAdamTensors = [...tensors.keys()].some((name) => name.startsWith(ADAM_M_PREFIX) || name.startsWith(ADAM_V_PREFIX));
  if (!hasAdamTensors && metadata.adam_step === undefined) return { config, tokenizer, params, meta };
  if (metadata.adam_step === undefined) throw new Error('checkpoint has AdamW moment tensors but no adam_step metadata');
  const step = Number(metadata.adam_step);
  checkAdamStep(step);
  const m = flatFromCheckpoint(config, tensors, ADAM_M_PREFIX);
  const v = flatFromCheckpoint(config, tensors, ADAM_V_PREFIX);
  return { config, tokenizer, params, adam: { m, v, step }, meta };
}

/** Converts a tokenizer instance to its checkpoint form. */
export function checkpointTokenizer(tokenizer: Tokenizer): CheckpointTokenizer {
  if (tokenizer instanceof CharTokenizer) return { name: 'char', vocabulary: tokenizer.toJSON() };
  if (tokenizer.name === 'gpt2') return { name: 'gpt2' };
  throw new Error(`tokenizer "${tokenizer.name}" cannot be stored in a checkpoint: expected a CharTokenizer or the GPT-2 tokenizer`);
}

/** Rebuilds the tokenizer a checkpoint was trained with. */
export function tokenizerFromCheckpoint(tokenizer: CheckpointTokenizer): Tokenizer {
  return tokenizer.name === 'char' ? CharTokenizer.fromJSON(tokenizer.vocabulary) : new Gpt2Tokenizer();
}

/** Formats one log line: model shape, parameter count, tokenizer, step, optimizer state and run. */
export function checkpointSummary(checkpoint: Checkpoint): string {
  const { config, tokenizer, adam, meta } = checkpoint;
  const shape = `L=${config.nLayer} NH=${config.nHead} C=${config.nEmbd} blockSize=${config.blockSize} V=${config.vocabSize}`;
  const parameters = `${parameterCount(config).toLocaleString('en-US')} parameters`;
  const tokenizerText = `${tokenizer.name} tokenizer`;
  const step = meta.completedSteps !== undefined ? `step ${meta.completedSteps}` : 'step unknown';
  const optimizer = adam ? `AdamW state at step ${adam.step}` : 'no AdamW state';
  const parts = [shape, parameters, tokenizerText, step, optimizer];
  if (meta.strategy !== undefined) parts.push(meta.alpha !== undefined ? `${meta.strategy} α=${meta.alpha}` : meta.strategy);
  parts.push(`created ${meta.createdAt}`);
  return parts.join(' | ');
}

function pickConfig(config: GPT2Config): GPT2Config {
  return {
    nLayer: config.nLayer, nHead: config.nHead, nEmbd: config.nEmbd,
    blockSize: config.blockSize, vocabSize: config.vocabSize,
  };
}

function parseMetadataJson(metadata: Record<string, string>, key: string): unknown {
  const text = metadata[key];
  if (text === undefined) throw new Error(`invalid checkpoint: metadata key "${key}" is missing`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`invalid checkpoint: metadata "${key}" is not valid JSON: ${(error as Error).message}`);
  }
}

function parseConfig(value: unknown): GPT2Config {
  if (!isPlainObject(value)) throw new Error(`invalid checkpoint: config must be a JSON object, got ${JSON.stringify(value)}`);
  const unknownKeys = Object.keys(value).filter((key) => !(CONFIG_FIELDS as readonly string[]).includes(key));
  if (unknownKeys.length > 0) {
    throw new Error(`invalid checkpoint: config has unknown fields ${unknownKeys.join(', ')} (expected only ${CONFIG_FIELDS.join(', ')})`);
  }
  const config = pickConfig(value as unknown as GPT2Config);
  validateConfig(config);
  return config;
}

function parseTokenizer(value: unknown): CheckpointTokenizer {
  if (isPlainObject(value) && value.name === 'gpt2') return { name: 'gpt2' };
  if (isPlainObject(value) && value.name === 'char') {
    // fromJSON validates the code points, and toJSON returns them in canonical form.
    const vocabulary = CharTokenizer.fromJSON(value.vocabulary as CharVocabularyJSON).toJSON();
    return { name: 'char', vocabulary };
  }
  throw new Error(`invalid checkpoint: tokenizer must be { "name": "char", "vocabulary": … } or { "name": "gpt2" }, got ${JSON.stringify(value)}`);
}

function checkTokenizerVocabulary(tokenizer: CheckpointTokenizer, config: GPT2Config): void {
  const vocabSize = tokenizerFromCheckpoint(tokenizer).vocabSize;
  if (vocabSize !== config.vocabSize) {
    throw new Error(`checkpoint tokenizer "${tokenizer.name}" has ${vocabSize} tokens, but the model config has vocabSize ${config.vocabSize}`);
  }
}

function checkMeta(meta: unknown): asserts meta is CheckpointMeta {
  if (!isPlainObject(meta)) throw new Error(`invalid checkpoint meta: expected a JSON object, got ${JSON.stringify(meta)}`);
  if (typeof meta.createdAt !== 'string') throw new Error(`invalid checkpoint meta: createdAt must be a string, got ${JSON.stringify(meta.createdAt)}`);
  if (meta.strategy !== undefined && typeof meta.strategy !== 'string') {
    throw new Error(`invalid checkpoint meta: strategy must be a string, got ${JSON.stringify(meta.strategy)}`);
  }
  if (meta.alpha !== undefined && !(typeof meta.alpha === 'number' && Number.isFinite(meta.alpha))) {
    throw new Error(`invalid checkpoint meta: alpha must be a finite number, got ${JSON.stringify(meta.alpha)}`);
  }
  const steps = meta.completedSteps;
  if (steps !== undefined && !(Number.isSafeInteger(steps) && (steps as number) >= 0)) {
    throw new Error(`invalid checkpoint meta: completedSteps must be a non-negative integer, got ${JSON.stringify(steps)}`);
  }
}

function checkAdamStep(step: number): void {
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`invalid AdamW step ${step}: must be a non-negative integer`);
}

// --- GPU model ↔ checkpoint ----------------------------------------------------------------

/**
 * Reads a model's parameters back from the GPU into a checkpoint. With adamStep, the
 * number of AdamW updates applied so far, it also reads the AdamW moments, so the
 * checkpoint can resume training. Without adamStep the checkpoint contains parameters
 * only, for a frozen reference or teacher model. Waits for the GPU, so call it between
 * steps.
 */
export async function readModelCheckpoint(
  model: Gpt2Gpu,
  tokenizer: Tokenizer | CheckpointTokenizer,
  meta: Omit<CheckpointMeta, 'createdAt'> & { createdAt?: string },
  adamStep?: number,
): Promise<Checkpoint> {
  // A dynamic import, because src/gpu/buffers.ts reads WebGPU globals when it loads and
  // this module must also load in Node.
  const { readFloat32 } = await import('../gpu/buffers.ts');
  const total = model.layout.total;
  const read = async (buffer: GPUBuffer) => (await readFloat32(model.device, buffer)).slice(0, total);

  const checkpoint: Checkpoint = {
    config: pickConfig(model.config),
    tokenizer: 'encode' in tokenizer ? checkpointTokenizer(tokenizer) : tokenizer,
    params: await read(model.params),
    meta: { ...meta, createdAt: meta.createdAt ?? new Date().toISOString() },
  };
  checkTokenizerVocabulary(checkpoint.tokenizer, checkpoint.config);
  if (adamStep !== undefined) {
    checkAdamStep(adamStep);
    checkpoint.adam = { m: await read(model.adamM), v: await read(model.adamV), step: adamStep };
  }
  return checkpoint;
}

/**
 * Uploads a checkpoint's parameters and AdamW moments into a model of the same config.
 * A checkpoint without AdamW state zeroes the moments, as for a fresh optimizer. The
 * caller continues with AdamW step checkpoint.adam.step + 1.
 */
export function writeModelCheckpoint(model: Gpt2Gpu, checkpoint: Checkpoint): void {
  const differences = CONFIG_FIELDS.filter((field) => model.config[field] !== checkpoint.config[field]);
  if (differences.length > 0) {
    const list = differences.map((field) => `${field} ${checkpoint.config[field]} (model ${model.config[field]})`).join(', ');
    throw new Error(`checkpoint config does not match the model "${model.label}": ${list}`);
  }
  const total = model.layout.total;
  const arrays = { params: checkpoint.params, 'adam.m': checkpoint.adam?.m, 'adam.v': checkpoint.adam?.v };
  for (const [name, array] of Object.entries(arrays)) {
    if (array && array.length !== total) throw new Error(`checkpoint ${name} has ${array.length} elements, the model's layout needs ${total}`);
  }

  model.uploadParameters(checkpoint.params);
  const zeros = checkpoint.adam ? undefined : new Float32Array(total);
  const m = checkpoint.adam?.m ?? zeros!;
  const v = checkpoint.adam?.v ?? zeros!;
  model.device.queue.writeBuffer(model.adamM, 0, m.buffer, m.byteOffset, m.byteLength);
  model.device.queue.writeBuffer(model.adamV, 0, v.buffer, v.byteOffset, v.byteLength);
}
