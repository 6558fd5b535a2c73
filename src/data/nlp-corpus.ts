// The nlp-corpus package (npm `nlp-corpus` 4.4.0) as a second corpus: English sentences
// from many sources, prepared by scripts/prepare-nlp-corpus.ts into
// public/corpora/nlp-corpus.json with the same document shape as brown.json.

/** Genre code of every nlp-corpus document: the package mixes its sources within each file, so there is one genre. */
export const NLP_CORPUS_GENRE = 'nlp';

/** File name under public/corpora/. */
export const NLP_CORPUS_FILE = 'nlp-corpus.json';
