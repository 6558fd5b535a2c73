// Loads the prepared Brown corpus in the browser. The file is built by
// scripts/prepare-corpus.ts into public/corpora/, which Vite serves at its base URL.
import type { BrownDocument } from './brown.ts';

const PREPARE_HINT = 'run `npx tsx scripts/prepare-corpus.ts` to build public/corpora/brown.json';

/** Checks the shape of a parsed brown.json and returns its documents. */
export function brownDocumentsFromJson(json: unknown, source: string): BrownDocument[] {
  const documents = (json as { documents?: unknown } | null)?.documents;
  if (!Array.isArray(documents)) throw new Error(`invalid corpus file ${source}: no "documents" array`);

  documents.forEach((doc: Partial<BrownDocument> | null, index) => {
    const fields = ['id', 'genre', 'category', 'text'] as const;
    const missing = fields.filter((field) => typeof doc?.[field] !== 'string');
    if (missing.length > 0) {
      throw new Error(`invalid corpus file ${source}: document ${index} has no string ${missing.join(', ')}`);
    }
  });
  return documents as BrownDocument[];
}

/** URL of a prepared corpus file under public/corpora/ (default brown.json) on the app's own server. */
export function corpusUrl(file = 'brown.json'): string {
  const base = import.meta.env?.BASE_URL ?? '/';
  return `${base.endsWith('/') ? base : `${base}/`}corpora/${file}`;
}

/** Fetches the prepared Brown corpus from the app's own server. */
export async function loadBrownDocuments(url: string = corpusUrl()): Promise<BrownDocument[]> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`failed to fetch the Brown corpus from ${url}: ${String(error)}`, { cause: error });
  }
  if (!response.ok) {
    throw new Error(`Brown corpus not found at ${url} (HTTP ${response.status}): ${PREPARE_HINT}`);
  }

  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    // A server with a single-page-app fallback may respond to a missing file with index.html.
    throw new Error(`Brown corpus at ${url} is not JSON: ${PREPARE_HINT}`, { cause: error });
  }
  return brownDocumentsFromJson(json, url);
}
