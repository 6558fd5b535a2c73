import { describe, expect, test } from 'vitest';
import { CharTokenizer } from '../data/tokenizer.ts';
import type { GPT2Config } from '../model/config.ts';
import { initParameters } from '../model/init.ts';
import { dataRanges, parameterLayout, PARAMETER_TENSORS } from '../model/layout.ts';
import {
  checkpointFromFlat, checkpointSummary, decodeSafetensors, encodeSafetensors, flatFromCheckpoint,
  loadCheckpoint, saveCheckpoint, tokenizerFromCheckpoint, type Checkpoint, type TensorEntry,
} from './checkpoint.ts';

const encoder = new TextEncoder();

/** Builds a safetensors file from a header text and raw data bytes, adding no padding. */
function rawFile(header: string, data: ArrayLike<number> = []): Uint8Array {
  const headerBytes = encoder.encode(header);
  const bytes = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(bytes.buffer).setUint32(0, headerBytes.length, true);
  bytes.set(headerBytes, 8);
  bytes.set(data, 8 + headerBytes.length);
  return bytes;
}

function tensorHeader(entries: Record<string, { dtype?: string; shape: number[]; data_offsets: number[] }>): string {
  const filled = Object.fromEntries(Object.entries(entries).map(([name, e]) => [name, { dtype: 'F32', ...e }]));
  return JSON.stringify(filled);
}

describe('safetensors encoding', () => {
  test('round trip keeps names, shapes, data and metadata', () => {
    const tensors: TensorEntry[] = [
      { name: 'odd', shape: [3, 5], data: Float32Array.from({ length: 15 }, (_, i) => i * 0.25 - 1.5) },
      { name: 'scalar', shape: [], data: Float32Array.of(Math.PI) },
      { name: 'single', shape: [1], data: Float32Array.of(-0) },
      { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
      { name: 'special', shape: [3], data: Float32Array.of(NaN, Infinity, -1e-42) },
      { name: '7', shape: [1, 1, 7], data: Float32Array.from({ length: 7 }, (_, i) => 1 / (i + 1)) },
    ];
    const metadata = { kind: 'test', unicode: 'α ≤ 1, 日本' };
    const bytes = encodeSafetensors(tensors, metadata);
    const decoded = decodeSafetensors(bytes);

    expect(decoded.metadata).toEqual(metadata);
    expect([...decoded.tensors.keys()]).toEqual(tensors.map((t) => t.name));
    for (const tensor of tensors) {
      const found = decoded.tensors.get(tensor.name)!;
      expect(found.dtype).toBe('F32');
      expect(found.shape).toEqual(tensor.shape);
      expect(Array.from(found.data)).toEqual(Array.from(tensor.data));
    }
    expect(Object.is(decoded.tensors.get('single')!.data[0], -0)).toBe(true);
  });

  test('header length is a multiple of 8', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const bytes = encodeSafetensors([{ name, shape: [1], data: Float32Array.of(1) }], {});
      const headerLength = new DataView(bytes.buffer).getUint32(0, true);
      expect(headerLength % 8).toBe(0);
      expect(bytes.length).toBe(8 + headerLength + 4);
    }
  });

  test('byte layout matches a hand-built file', () => {
    const bytes = encodeSafetensors(
      [
        { name: 'a', shape: [2], data: Float32Array.of(1, -2) },
        { name: 'b', shape: [], data: Float32Array.of(0.5) },
      ],
      { note: 'hello' },
    );

    // The JSON header, counted by hand: 33 + 53 + 53 = 139 bytes, padded with 5 spaces
    // to 144 = 0x90, the next multiple of 8.
    const header =
      '{"__metadata__":{"note":"hello"},' + // 33 bytes
      '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' + // 53 bytes
      '"b":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}' + // 53 bytes
      '     '; // 5 spaces of padding
    expect(header.length).toBe(144);
    const expected = new Uint8Array([
      0x90, 0, 0, 0, 0, 0, 0, 0, // header length 144, u64 little-endian
      ...encoder.encode(header),
      0x00, 0x00, 0x80, 0x3f, // 1.0f
      0x00, 0x00, 0x00, 0xc0, // -2.0f
      0x00, 0x00, 0x00, 0x3f, // 0.5f
    ]);
    expect(Array.from(bytes)).toEqual(Array.from(expected));
  });

  test('empty metadata omits the metadata entry', () => {
    const bytes = encodeSafetensors([{ name: 'x', shape: [1], data: Float32Array.of(2) }], {});
    const headerLength = new DataView(bytes.buffer).getUint32(0, true);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(header.trimEnd()).toBe('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    expect(decodeSafetensors(bytes).metadata).toEqual({});
  });

  test('decodes unpadded header and unaligned data', () => {
    // A 45-byte header puts the data at file offset 53, not a multiple of 4, and the
    // subarray adds one more byte of misalignment.
    const header = '{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const data = new Uint8Array(new Float32Array([3.5, -7.25]).buffer);
    const file = rawFile(header, data);
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);

    const decoded = decodeSafetensors(shifted.subarray(1));
    expect(Array.from(decoded.tensors.get('t')!.data)).toEqual([3.5, -7.25]);
  });

  test('decodes Node Buffer at an offset', () => {
    // A Buffer's slice() shares memory, so the decoder must not rely on it to copy.
    const bytes = encodeSafetensors([{ name: 'x', shape: [3], data: Float32Array.of(1, 2, 3) }], { a: 'b' });
    const pooled = Buffer.alloc(bytes.length + 3, 0xee);
    pooled.set(bytes, 3);
    const decoded = decodeSafetensors(pooled.subarray(3));
    expect(Array.from(decoded.tensors.get('x')!.data)).toEqual([1, 2, 3]);
  });

  test('decoded data is a copy of the file', () => {
    const bytes = encodeSafetensors([{ name: 'x', shape: [2], data: Float32Array.of(1, 2) }], {});
    const decoded = decodeSafetensors(bytes);
    bytes.fill(0);
    expect(Array.from(decoded.tensors.get('x')!.data)).toEqual([1, 2]);
  });

  test('encode rejects invalid input', () => {
    const singleValue = Float32Array.of(1);
    expect(() => encodeSafetensors([{ name: 'x', shape: [2], data: singleValue }], {})).toThrow('tensor "x": shape [2] needs 2 elements, data has 1');
    expect(() => encodeSafetensors([{ name: 'x', shape: [1.5], data: singleValue }], {})).toThrow('tensor "x": shape must be an array of non-negative integers');
    expect(() => encodeSafetensors([{ name: 'x', shape: [1], data: singleValue }, { name: 'x', shape: [1], data: singleValue }], {})).toThrow('duplicate tensor name "x"');
    expect(() => encodeSafetensors([{ name: '__metadata__', shape: [1], data: singleValue }], {})).toThrow('reserved');
    expect(() => encodeSafetensors([], { n: 3 as unknown as string })).toThrow('metadata value for "n" must be a string');
  });
});

describe('safetensors validation', () => {
  const valid = encodeSafetensors(
    [{ name: 'w', shape: [2, 3], data: new Float32Array(6) }, { name: 'b', shape: [3], data: new Float32Array(3) }],
    { a: 'b' },
  );

  test('rejects file shorter than length field', () => {
    expect(() => decodeSafetensors(valid.subarray(0, 5))).toThrow('5 bytes is shorter than the 8-byte header length field');
  });

  test('rejects truncated tensor data', () => {
    expect(() => decodeSafetensors(valid.subarray(0, valid.length - 4))).toThrow(/tensor "b": data_offsets \[24, 36\] out of range for 32 data bytes/);
  });

  test('rejects header longer than file', () => {
    const bytes = rawFile('{}');
    new DataView(bytes.buffer).setUint32(0, 1000, true);
    expect(() => decodeSafetensors(bytes)).toThrow('header length 1000 exceeds the 2 bytes after the length field');

    const huge = rawFile('{}');
    new DataView(huge.buffer).setUint32(4, 1, true);
    expect(() => decodeSafetensors(huge)).toThrow(`header length ${2 ** 32 + 2} exceeds`);
  });

  test('rejects bad JSON', () => {
    expect(() => decodeSafetensors(rawFile('{"w": {'))).toThrow('invalid safetensors header: JSON parse failed');
    expect(() => decodeSafetensors(rawFile('[1, 2]'))).toThrow('invalid safetensors header: expected a JSON object');
  });

  test('rejects invalid UTF-8 header', () => {
    const bytes = rawFile('{"x": 1}');
    bytes[10] = 0xff;
    expect(() => decodeSafetensors(bytes)).toThrow('invalid safetensors header: not valid UTF-8');
  });

  test('rejects F16 dtype', () => {
    const header = tensorHeader({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } });
    expect(() => decodeSafetensors(rawFile(header, new Uint8Array(4)))).toThrow('tensor "h" has dtype "F16", but only F32 is supported');
  });

  test('rejects overlapping offsets', () => {
    const header = tensorHeader({ a: { shape: [2], data_offsets: [0, 8] }, b: { shape: [2], data_offsets: [4, 12] } });
    expect(() => decodeSafetensors(rawFile(header, new Uint8Array(12)))).toThrow('tensor "b": data_offsets [4, 12] overlap tensor "a", which ends at 8');
  });

  test('rejects gap between tensors', () => {
    const header = tensorHeader({ a: { shape: [1], data_offsets: [0, 4] }, b: { shape: [1], data_offsets: [8, 12] } });
    expect(() => decodeSafetensors(rawFile(header, new Uint8Array(12)))).toThrow('tensor "b": data_offsets begin at 8, leaving a gap of 4 bytes after tensor "a"');
  });

  test('rejects trailing data bytes', () => {
    const header = tensorHeader({ a: { shape: [1], data_offsets: [0, 4] } });
    expect(() => decodeSafetensors(rawFile(header, new Uint8Array(8)))).toThrow('tensors cover 4 of the 8 data bytes');
  });

  test('rejects wrong byte length', () => {
    const header = tensorHeader({ a: { shape: [2, 2], data_offsets: [0, 12] } });
    expect(() => decodeSafetensors(rawFile(header, new Uint8Array(12)))).toThrow(
      'tensor "a": shape [2, 2] needs 16 bytes (4 F32 elements), but data_offsets [0, 12] span 12',
    );
  });

  test('rejects malformed entries', () => {
    const cases: [string, string][] = [
      ['{"a": 3}', 'tensor "a": header entry must be an object'],
      ['{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}', 'tensor "a": shape must be an array of non-negative integers'],
      ['{"a": {"dtype": "F32", "shape": "2", "data_offsets": [0, 0]}}', 'tensor "a": shape must be an array'],
      ['{"a": {"dtype": "F32", "shape": [0], "data_offsets": [0]}}', 'tensor "a": data_offsets must be two non-negative integers'],
      ['{"a": {"dtype": "F32", "shape": [0], "data_offsets": [4, 0]}}', 'tensor "a": data_offsets [4, 0] out of range'],
      ['{"__metadata__": {"n": 1}}', '"__metadata__" value for "n" must be a string'],
      ['{"__metadata__": [1]}', '"__metadata__" must be an object of strings'],
    ];
    for (const [header, message] of cases) expect(() => decodeSafetensors(rawFile(header)), header).toThrow(message);
  });
});

// Sizes off the 64-element alignment, so every per-layer tensor has padding between slices.
const CONFIG: GPT2Config = { nLayer: 2, nHead: 2, nEmbd: 6, blockSize: 5, vocabSize: 11 };

/** Flat indices that belong to no tensor's data. */
function paddingIndices(config: GPT2Config): number[] {
  const layout = parameterLayout(config);
  const isData = new Uint8Array(layout.total);
  for (const slot of layout.ordered) for (const [start, end] of dataRanges(slot)) isData.fill(1, start, end);
  return [...isData.keys()].filter((i) => isData[i] === 0);
}

describe('flat layout conversion', () => {
  test('tensors follow the layout table', () => {
    const flat = initParameters(CONFIG, 3);
    const tensors = checkpointFromFlat(CONFIG, flat, 'p.');
    const layout = parameterLayout(CONFIG);

    expect(tensors.map((t) => t.name)).toEqual(PARAMETER_TENSORS.map((spec) => `p.${spec.name}`));
    expect(tensors.find((t) => t.name === 'p.qkvw')!.shape).toEqual([2, 18, 6]);
    expect(tensors.find((t) => t.name === 'p.ln1w')!.shape).toEqual([2, 6]);
    expect(tensors.find((t) => t.name === 'p.lnfb')!.shape).toEqual([6]);
    for (const [i, slot] of layout.ordered.entries()) {
      const expected = dataRanges(slot).flatMap(([start, end]) => Array.from(flat.subarray(start, end)));
      expect(Array.from(tensors[i]!.data), slot.spec.name).toEqual(expected);
    }
  });

  test('round trip restores data and zeroes padding', () => {
    const flat = initParameters(CONFIG, 3);
    const padding = paddingIndices(CONFIG);
    expect(padding.length).toBeGreaterThan(0);
    const dirty = flat.slice();
    for (const i of padding) dirty[i] = 7;

    const tensors = checkpointFromFlat(CONFIG, dirty);
    const back = flatFromCheckpoint(CONFIG, new Map(tensors.map((t) => [t.name, t])));
    expect(Array.from(back)).toEqual(Array.from(flat));
    for (const i of padding) expect(back[i]).toBe(0);
  });

  test('rejects wrong flat length', () => {
    expect(() => checkpointFromFlat(CONFIG, new Float32Array(10))).toThrow('flat parameter array has 10 elements');
  });

  test('rejects missing, misshapen and unknown tensors', () => {
    const entries = checkpointFromFlat(CONFIG, initParameters(CONFIG, 1), 'param.');
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>(entries.map((t) => [t.name, t]));

    const missing = new Map(tensors);
    missing.delete('param.fcb');
    expect(() => flatFromCheckpoint(CONFIG, missing, 'param.')).toThrow('missing tensor "param.fcb" with shape [2, 24]');

    const misshapen = new Map(tensors);
    misshapen.set('param.wpe', { shape: [6, 5], data: new Float32Array(30) });
    expect(() => flatFromCheckpoint(CONFIG, misshapen, 'param.')).toThrow('tensor "param.wpe" has shape [6, 5], expected [5, 6]');

    const extra = new Map(tensors);
    extra.set('param.lm_head', { shape: [1], data: new Float32Array(1) });
    expect(() => flatFromCheckpoint(CONFIG, extra, 'param.')).toThrow('unknown tensor "param.lm_head"');

    // Names under another prefix are left to the caller.
    const other = new Map(tensors);
    other.set('adam_m.wte', { shape: [1], data: new Float32Array(1) });
    expect(() => flatFromCheckpoint(CONFIG, other, 'param.')).not.toThrow();
  });
});

describe('checkpoints', () => {
  // Nine distinct characters plus the end-of-text and unknown tokens: vocabSize 11.
  const tokenizer = CharTokenizer.fromText('abcdefghi');
  const layoutTotal = parameterLayout(CONFIG).total;

  function sampleCheckpoint(withAdam: boolean): Checkpoint {
    const params = initParameters(CONFIG, 5);
    return {
      config: { ...CONFIG },
      tokenizer: { name: 'char', vocabulary: tokenizer.toJSON() },
      params,
      adam: withAdam
        ? { m: initParameters(CONFIG, 6), v: initParameters(CONFIG, 7).map(Math.abs), step: 3 }
        : undefined,
      meta: { strategy: 'eslm-loss', alpha: 0.6, completedSteps: 3, experiment: { steps: 10 }, createdAt: '2025-01-02T03:04:05.000Z' },
    };
  }

  /** Builds a checkpoint file from a hand-written metadata map and the sample's parameter tensors. */
  function fileWithMetadata(overrides: Record<string, string | undefined>): Uint8Array {
    const sample = sampleCheckpoint(false);
    const metadata: Record<string, string | undefined> = {
      format: 'eslm-playground-checkpoint',
      version: '1',
      config: JSON.stringify(CONFIG),
      tokenizer: JSON.stringify(sample.tokenizer),
      meta: JSON.stringify(sample.meta),
      ...overrides,
    };
    const defined = Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== undefined)) as Record<string, string>;
    return encodeSafetensors(checkpointFromFlat(CONFIG, sample.params, 'param.'), defined);
  }

  test('round trip with AdamW state', () => {
    const checkpoint = sampleCheckpoint(true);
    const bytes = saveCheckpoint(checkpoint);
    const loaded = loadCheckpoint(bytes);

    expect(loaded.config).toEqual(CONFIG);
    expect(loaded.tokenizer).toEqual(checkpoint.tokenizer);
    expect(loaded.meta).toEqual(checkpoint.meta);
    expect(loaded.params.length).toBe(layoutTotal);
    expect(Array.from(loaded.params)).toEqual(Array.from(checkpoint.params));
    expect(loaded.adam!.step).toBe(3);
    expect(Array.from(loaded.adam!.m)).toEqual(Array.from(checkpoint.adam!.m));
    expect(Array.from(loaded.adam!.v)).toEqual(Array.from(checkpoint.adam!.v));
    expect(tokenizerFromCheckpoint(loaded.tokenizer).decode(tokenizer.encode('cab'))).toBe('cab');

    const { metadata, tensors } = decodeSafetensors(bytes);
    expect(metadata.format).toBe('eslm-playground-checkpoint');
    expect(metadata.version).toBe('1');
    expect(metadata.adam_step).toBe('3');
    expect(JSON.parse(metadata.config!)).toEqual(CONFIG);
    expect(tensors.size).toBe(3 * PARAMETER_TENSORS.length);
    expect(tensors.get('adam_v.fcprojw')!.shape).toEqual([2, 6, 24]);
  });

  test('round trip without AdamW state', () => {
    const checkpoint = sampleCheckpoint(false);
    const bytes = saveCheckpoint(checkpoint);
    const loaded = loadCheckpoint(bytes);
    expect(loaded.adam).toBeUndefined();
    expect(Array.from(loaded.params)).toEqual(Array.from(checkpoint.params));
    expect(decodeSafetensors(bytes).metadata.adam_step).toBeUndefined();
  });

  test('gpt2 tokenizer needs vocabSize 50257', () => {
    const config = { nLayer: 1, nHead: 1, nEmbd: 4, blockSize: 4, vocabSize: 50257 };
    const checkpoint: Checkpoint = {
      config, tokenizer: { name: 'gpt2' }, params: initParameters(config, 1), meta: { createdAt: 'now' },
    };
    expect(loadCheckpoint(saveCheckpoint(checkpoint)).tokenizer).toEqual({ name: 'gpt2' });
    expect(() => saveCheckpoint({ ...checkpoint, config: { ...config, vocabSize: 50000 } })).toThrow(
      'checkpoint tokenizer "gpt2" has 50257 tokens, but the model config has vocabSize 50000',
    );
  });

  test('load rejects wrong format tag', () => {
    expect(() => loadCheckpoint(fileWithMetadata({ format: 'other-tool' }))).toThrow(
      'not an ESLM Playground checkpoint: the safetensors metadata has format "other-tool", expected "eslm-playground-checkpoint"',
    );
    expect(() => loadCheckpoint(fileWithMetadata({ format: undefined }))).toThrow('metadata has no format tag');
    expect(() => loadCheckpoint(fileWithMetadata({ version: '2' }))).toThrow('unsupported checkpoint version "2"');
  });

  test('load rejects vocabulary mismatch', () => {
    const tokenizerJson = JSON.stringify({ name: 'char', vocabulary: CharTokenizer.fromText('abc').toJSON() });
    expect(() => loadCheckpoint(fileWithMetadata({ tokenizer: tokenizerJson }))).toThrow(
      'checkpoint tokenizer "char" has 5 tokens, but the model config has vocabSize 11',
    );
  });

  test('load rejects invalid metadata', () => {
    const cases: [Record<string, string | undefined>, string][] = [
      [{ config: undefined }, 'metadata key "config" is missing'],
      [{ config: '{nLayer' }, 'metadata "config" is not valid JSON'],
      [{ config: JSON.stringify({ ...CONFIG, nHead: 4 }) }, 'nEmbd (6) must be divisible by nHead (4)'],
      [{ config: JSON.stringify({ ...CONFIG, dropout: 0.1 }) }, 'config has unknown fields dropout'],
      [{ tokenizer: '{"name":"bpe"}' }, 'tokenizer must be'],
      [{ meta: '{"completedSteps":3}' }, 'createdAt must be a string'],
      [{ meta: '{"createdAt":"x","completedSteps":-1}' }, 'completedSteps must be a non-negative integer'],
      [{ adam_step: '2' }, 'missing tensor "adam_m.wte"'],
    ];
    for (const [overrides, message] of cases) {
      expect(() => loadCheckpoint(fileWithMetadata(overrides)), JSON.stringify(overrides)).toThrow(message);
    }
  });

  test('load rejects incomplete AdamW state', () => {
    const { tensors, metadata } = decodeSafetensors(saveCheckpoint(sampleCheckpoint(true)));
    const entries = [...tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));

    const withoutV = entries.filter((t) => t.name !== 'adam_v.lnfb');
    expect(() => loadCheckpoint(encodeSafetensors(withoutV, metadata))).toThrow('missing tensor "adam_v.lnfb"');

    const { adam_step: _, ...withoutStep } = metadata;
    expect(() => loadCheckpoint(encodeSafetensors(entries, withoutStep))).toThrow('AdamW moment tensors but no adam_step');

    const stray = [...entries, { name: 'ema.wte', shape: [1], data: new Float32Array(1) }];
    expect(() => loadCheckpoint(encodeSafetensors(stray, metadata))).toThrow('unknown tensor "ema.wte" in checkpoint');
  });

  test('summary is one line', () => {
    const summary = checkpointSummary(sampleCheckpoint(true));
    expect(summary).not.toContain('\n');
    expect(summary).toContain('L=2 NH=2 C=6 blockSize=5 V=11');
    expect(summary).toContain('char tokenizer');
    expect(summary).toContain('step 3');
    expect(summary).toContain('AdamW state at step 3');
    expect(summary).toContain('eslm-loss α=0.6');
  });
});
