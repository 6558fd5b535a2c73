// Builds public/corpora/nlp-corpus.json from the npm package nlp-corpus 4.4.0, whose
// builds/doc-N.json files each hold 1,000 English sentences drawn at random from many
// sources. Each of the first NLP_CORPUS_FILES files becomes one document (sentences
// joined one per line), all in one genre, in the shape of brown.json.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrownDocument } from '../src/data/brown.ts';
import { NLP_CORPUS_FILE, NLP_CORPUS_GENRE } from '../src/data/nlp-corpus.ts';

export const NLP_OUTPUT = resolve(dirname(fileURLToPath(import.meta.url)), `../public/corpora/${NLP_CORPUS_FILE}`);

/** Files taken from the package: 30 of its 100 (about 2.5 MB of text), so loading and tokenising stay near Brown's cost. */
const NLP_CORPUS_FILES = 30;

function packageDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    // The package exports only its entry, src/server/index.js, two levels below the package root.
    return resolve(dirname(require.resolve('nlp-corpus')), '../..');
  } catch (error) {
    throw new Error('npm package nlp-corpus not found: run npm install', { cause: error });
  }
}

function readSentences(path: string): string[] {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new Error(`invalid nlp-corpus file ${path}: expected a JSON array of strings`);
  }
  return parsed as string[];
}

/** Writes nlp-corpus.json unless it is newer than this script and the package, or force is set; returns a summary line. */
export function prepareNlpCorpus(outPath: string = NLP_OUTPUT, options: { force?: boolean } = {}): string {
  const directory = packageDirectory();
  const paths = Array.from({ length: NLP_CORPUS_FILES }, (_, i) => join(directory, 'builds', `doc-${i}.json`));
  const inputs = [...paths, fileURLToPath(import.meta.url)];
  let upToDate = false;
  try {
    const outputTime = statSync(outPath).mtimeMs;
    upToDate = inputs.every((input) => statSync(input).mtimeMs < outputTime);
  } catch {
    upToDate = false;
  }
  if (upToDate && !options.force) return `nlp-corpus up to date: ${outPath}`;

  const documents: BrownDocument[] = paths.map((path, i) => ({
    id: `nlp${String(i).padStart(2, '0')}`,
    genre: NLP_CORPUS_GENRE,
    category: 'nlp-corpus',
    text: readSentences(path).map((sentence) => sentence.trim()).filter((sentence) => sentence !== '').join('\n'),
  }));
  const body = documents.map((doc) => JSON.stringify(doc)).join(',\n');
  const json = `{"name":"nlp-corpus","documents":[\n${body}\n]}\n`;
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, json);
  const characters = documents.reduce((sum, doc) => sum + doc.text.length, 0);
  return `nlp-corpus wrote: ${outPath}, ${documents.length} documents, ${characters} characters, ${(Buffer.byteLength(json) / 2 ** 20).toFixed(2)} MiB`;
}
