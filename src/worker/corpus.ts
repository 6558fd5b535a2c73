// Loads the documents of an experiment inside the worker, reporting download progress.

import type { BrownDocument } from '../data/brown.ts';
import { brownDocumentsFromJson } from '../data/load.ts';
import { NLP_CORPUS_FILE } from '../data/nlp-corpus.ts';
import { userTextDocuments } from '../data/user-text.ts';
import type { CorpusSource } from './protocol.ts';

const PREPARE_HINT = 'run `npx tsx scripts/prepare-corpus.ts` (npm run dev and npm run build do it first)';

function corpusUrl(file: string): string {
  const base = import.meta.env.BASE_URL ?? '/';
  return new URL(`${base.endsWith('/') ? base : `${base}/`}corpora/${file}`, self.location.origin).href;
}

/** Fetches a prepared corpus file, calling onProgress with the fraction received (null without a Content-Length). */
async function fetchCorpus(file: string, onProgress: (fraction: number | null) => void): Promise<BrownDocument[]> {
  const url = corpusUrl(file);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`failed to fetch the corpus ${url}: ${String(error)}`, { cause: error });
  }
  if (!response.ok) throw new Error(`corpus not found at ${url} (HTTP ${response.status}): ${PREPARE_HINT}`);

  const total = Number(response.headers.get('content-length')) || 0;
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body?.getReader();
  if (!reader) throw new Error(`corpus ${url} has no response body`);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    onProgress(total > 0 ? Math.min(1, received / total) : null);
  }

  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    // A server with a single-page-app fallback may respond to a missing file with index.html.
    throw new Error(`corpus at ${url} is not JSON: ${PREPARE_HINT}`, { cause: error });
  }
  return brownDocumentsFromJson(json, url);
}

/** Parsed corpus files by file name, kept for the worker's life so a second start and offline use need no fetch. */
const cache = new Map<string, Promise<BrownDocument[]>>();

function cachedCorpus(file: string, onProgress: (fraction: number | null) => void): Promise<BrownDocument[]> {
  let documents = cache.get(file);
  if (documents) {
    onProgress(1);
    return documents;
  }
  documents = fetchCorpus(file, onProgress);
  cache.set(file, documents);
  // A failed fetch is not cached, so the next start tries again.
  documents.catch(() => cache.delete(file));
  return documents;
}

/** Fetches and caches the default corpus in the background; resolves with its document count. */
export async function prefetchDefaultCorpus(): Promise<number> {
  return (await cachedCorpus('brown.json', () => {})).length;
}

/** Returns the documents of a corpus source. */
export async function loadCorpus(source: CorpusSource, onProgress: (fraction: number | null) => void): Promise<BrownDocument[]> {
  switch (source.kind) {
    case 'brown':
      return cachedCorpus('brown.json', onProgress);
    case 'nlp-corpus':
      return cachedCorpus(NLP_CORPUS_FILE, onProgress);
    case 'user':
      onProgress(1);
      return userTextDocuments(source.text, source.name);
  }
}
