// Checks a reference or teacher checkpoint file for the page: the file must load as a
// playground checkpoint, and its tokenizer must equal the one the experiment would
// build. PairedExperiment.create repeats the tokenizer and context checks at start.

import type { BrownDocument } from '../data/brown.ts';
import { CharTokenizer } from '../data/tokenizer.ts';
import { checkpointSummary, loadCheckpoint, type Checkpoint } from '../train/checkpoint.ts';
import type { CheckpointCheck } from './protocol.ts';

/** Character vocabularies, as checkpoint JSON, of corpora already checked against. */
const charVocabularies = new WeakMap<readonly BrownDocument[], string>();

/** Returns the JSON of the character vocabulary the experiment builds from these documents. */
function charVocabularyJson(documents: readonly BrownDocument[]): { json: string; vocabSize: number } {
  let json = charVocabularies.get(documents);
  if (json === undefined) {
    // The same text PairedExperiment's prepareData builds its tokenizer from.
    json = JSON.stringify(CharTokenizer.fromText(documents.map((doc) => doc.text).join('')).toJSON());
    charVocabularies.set(documents, json);
  }
  return { json, vocabSize: CharTokenizer.fromJSON(JSON.parse(json)).vocabSize };
}

/** Returns why the checkpoint's tokenizer differs from the set-up's, or undefined when it matches. */
function tokenizerMismatch(checkpoint: Checkpoint, fileName: string, tokenizer: string, documents: readonly BrownDocument[] | undefined): string | undefined {
  const saved = checkpoint.tokenizer;
  if (saved.name !== tokenizer) {
    return `"${fileName}" was trained with the ${saved.name} tokenizer (V=${checkpoint.config.vocabSize}), but the set-up uses the ${tokenizer} tokenizer; ` +
      `choose the ${saved.name} tokenizer or load a model trained with ${tokenizer}.`;
  }
  if (saved.name !== 'char' || !documents) return undefined;
  const expected = charVocabularyJson(documents);
  if (JSON.stringify(saved.vocabulary) === expected.json) return undefined;
  return `"${fileName}" has a character vocabulary of ${checkpoint.config.vocabSize} tokens that differs from this corpus's ${expected.vocabSize}: ` +
    'it was trained on other text. Load a model trained on the same corpus, or choose that corpus.';
}

/**
 * Validates checkpoint bytes with loadCheckpoint and compares the tokenizer with the
 * set-up's. Without documents (no usable corpus yet) only the tokenizer name is compared.
 */
export function checkCheckpointFile(
  bytes: Uint8Array,
  fileName: string,
  tokenizer: string,
  documents: readonly BrownDocument[] | undefined,
): CheckpointCheck {
  let checkpoint: Checkpoint;
  try {
    checkpoint = loadCheckpoint(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `"${fileName}" is not a usable checkpoint: ${reason}. Load a .safetensors file saved with "Save model".` };
  }
  const mismatch = tokenizerMismatch(checkpoint, fileName, tokenizer, documents);
  return {
    ok: true,
    summary: checkpointSummary(checkpoint),
    tokenizer: checkpoint.tokenizer.name,
    vocabSize: checkpoint.config.vocabSize,
    blockSize: checkpoint.config.blockSize,
    ...(mismatch ? { mismatch } : {}),
  };
}
