import { describe, expect, it } from 'vitest';
import { CharTokenizer, Gpt2Tokenizer } from './tokenizer.ts';

describe('CharTokenizer', () => {
  const corpus = 'The jury said, "no evidence".\nCafé 🙂';
  const tokenizer = CharTokenizer.fromText(corpus);

  it('builds sorted code points after two reserved ids', () => {
    const distinct = new Set([...corpus]).size;
    expect(tokenizer.vocabSize).toBe(distinct + 2);
    expect(tokenizer.eotToken).toBe(0);
    // '\n' (U+000A) is the smallest code point, then ' ' (U+0020).
    expect(Array.from(tokenizer.encode('\n '))).toEqual([2, 3]);
    expect(Array.from(tokenizer.encode('🙂'))).toEqual([tokenizer.vocabSize - 1]);
  });

  it('round-trips text of its corpus', () => {
    const ids = tokenizer.encode(corpus);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe([...corpus].length);
    expect(tokenizer.decode(ids)).toBe(corpus);
  });

  it('maps unknown characters to id 1', () => {
    const ids = Array.from(tokenizer.encode('jury€x'));
    expect(ids[4]).toBe(CharTokenizer.UNKNOWN);
    expect(ids[5]).toBe(CharTokenizer.UNKNOWN);
    expect(ids.slice(0, 4)).toEqual(Array.from(tokenizer.encode('jury')));
    expect(tokenizer.decode(ids)).toBe('jury\uFFFD\uFFFD');
  });

  it('decodes end-of-text as a blank line', () => {
    const ids = [...tokenizer.encode('said'), CharTokenizer.EOT, ...tokenizer.encode('Café')];
    expect(tokenizer.decode(ids)).toBe('said\n\nCafé');
  });

  it('rejects ids outside the vocabulary', () => {
    expect(() => tokenizer.decode([tokenizer.vocabSize])).toThrow(/invalid token id/);
    expect(() => tokenizer.decode([-1])).toThrow(/invalid token id/);
  });

  it('survives a JSON round trip', () => {
    const restored = CharTokenizer.fromJSON(JSON.parse(JSON.stringify(tokenizer.toJSON())));
    expect(restored.vocabSize).toBe(tokenizer.vocabSize);
    expect(Array.from(restored.encode(corpus))).toEqual(Array.from(tokenizer.encode(corpus)));
    expect(() => CharTokenizer.fromJSON({ kind: 'char', codePoints: [65, 65] })).toThrow(/not ascending/);
  });
});

describe('Gpt2Tokenizer', () => {
  const tokenizer = new Gpt2Tokenizer();

  it('encodes Hello world to the r50k ids', () => {
    expect(Array.from(tokenizer.encode('Hello world'))).toEqual([15496, 995]);
    expect(tokenizer.decode([15496, 995])).toBe('Hello world');
    expect(tokenizer.vocabSize).toBe(50257);
    expect(tokenizer.eotToken).toBe(50256);
  });

  it('round-trips corpus text', () => {
    const text = 'The Fulton County Grand Jury said Friday "no evidence" -- 1/8" brass.\nNext paragraph.';
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('encodes a literal end-of-text marker as plain text', () => {
    const ids = Array.from(tokenizer.encode('a<|endoftext|>b'));
    expect(ids).not.toContain(50256);
    expect(tokenizer.decode(ids)).toBe('a<|endoftext|>b');
  });
});
