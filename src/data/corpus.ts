// Token streams for training and per-genre validation.
import { splitDocuments, type DocumentSplit, type SplitOptions } from './split.ts';
import type { Tokenizer } from './tokenizer.ts';

export interface TokenizedCorpus {
  tokenizer: Tokenizer['name'];
  vocabSize: number;
  eotToken: number;
  /** Training documents' tokens in id order, each document followed by eotToken. */
  train: Int32Array;
  /**
   * Validation tokens per genre code, genres in ascending order, documents in id order,
   * each followed by eotToken.
   */
  valByGenre: Record<string, Int32Array>;
  /** Ids of the training documents, in id order. */
  trainIds: string[];
  /** Ids of the validation documents, in id order. */
  valIds: string[];
}

type CorpusDocument = { id: string; genre: string; text: string };

/** Concatenates each document's tokens followed by eotToken. */
export function tokenizeDocuments(texts: readonly string[], tokenizer: Tokenizer): Int32Array {
  const parts = texts.map((text) => tokenizer.encode(text));
  const length = parts.reduce((sum, part) => sum + part.length + 1, 0);
  const tokens = new Int32Array(length);

  let offset = 0;
  for (const part of parts) {
    tokens.set(part, offset);
    offset += part.length;
    tokens[offset++] = tokenizer.eotToken;
  }
  return tokens;
}

/** Splits documents into train and validation (see splitDocuments), then tokenizes both. */
export function tokenizeCorpus(docs: readonly CorpusDocument[], tokenizer: Tokenizer, splitOptions: SplitOptions = {}): TokenizedCorpus {
  return tokenizeSplit(splitDocuments(docs, splitOptions), tokenizer);
}

/** Tokenizes an existing split into one training stream and one validation stream per genre. */
export function tokenizeSplit(split: DocumentSplit<CorpusDocument>, tokenizer: Tokenizer): TokenizedCorpus {
  const valTexts = new Map<string, string[]>();
  for (const doc of split.val) {
    const texts = valTexts.get(doc.genre) ?? [];
    texts.push(doc.text);
    valTexts.set(doc.genre, texts);
  }

  const valByGenre: Record<string, Int32Array> = {};
  for (const genre of [...valTexts.keys()].sort()) {
    valByGenre[genre] = tokenizeDocuments(valTexts.get(genre)!, tokenizer);
  }

  return {
    tokenizer: tokenizer.name,
    vocabSize: tokenizer.vocabSize,
    eotToken: tokenizer.eotToken,
    train: tokenizeDocuments(split.train.map((doc) => doc.text), tokenizer),
    valByGenre,
    trainIds: split.train.map((doc) => doc.id),
    valIds: split.val.map((doc) => doc.id),
  };
}
