import { describe, expect, it } from 'vitest';
import { tokenizeCorpus, tokenizeDocuments } from './corpus.ts';
import { CharTokenizer } from './tokenizer.ts';

const docs = [
  { id: 'ca01', genre: 'ca', text: 'ab' },
  { id: 'ca02', genre: 'ca', text: 'ba' },
  { id: 'cb01', genre: 'cb', text: 'a' },
  { id: 'cb02', genre: 'cb', text: 'bb' },
];
const tokenizer = CharTokenizer.fromText('ab');
// Ids: 0 end-of-text, 1 unknown, 2 'a', 3 'b'.

describe('tokenizeDocuments', () => {
  it('ends every document with the end-of-text token', () => {
    expect(Array.from(tokenizeDocuments(['ab', '', 'b'], tokenizer))).toEqual([2, 3, 0, 0, 3, 0]);
  });
});

describe('tokenizeCorpus', () => {
  it('separates training and per-genre validation tokens', () => {
    const corpus = tokenizeCorpus(docs, tokenizer, { valFraction: 0.5 });
    expect(corpus.valIds).toHaveLength(2);
    expect(corpus.trainIds).toHaveLength(2);
    expect(Object.keys(corpus.valByGenre)).toEqual(['ca', 'cb']);

    const textOf = new Map(docs.map((doc) => [doc.id, doc.text]));
    const expectedTrain = tokenizeDocuments(corpus.trainIds.map((id) => textOf.get(id)!), tokenizer);
    expect(Array.from(corpus.train)).toEqual(Array.from(expectedTrain));
    for (const id of corpus.valIds) {
      const genre = id.slice(0, 2);
      const expected = tokenizeDocuments([textOf.get(id)!], tokenizer);
      expect(Array.from(corpus.valByGenre[genre]!), `validation tokens of ${genre}`).toEqual(Array.from(expected));
    }
    expect(corpus.eotToken).toBe(0);
    expect(corpus.vocabSize).toBe(4);
    expect(corpus.tokenizer).toBe('char');
  });
});
