// Reads the prepared Brown corpus from disk in Node (tests, command-line runs). Kept
// apart from load.ts so the browser bundle does not import node:fs.
import { readFileSync } from 'node:fs';
import type { BrownDocument } from './brown.ts';
import { brownDocumentsFromJson } from './load.ts';

export function readBrownDocumentsFromDisk(path: string): BrownDocument[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`failed to read the Brown corpus at ${path}: run \`npx tsx scripts/prepare-corpus.ts\` first`, { cause: error });
  }
  return brownDocumentsFromJson(JSON.parse(text), path);
}
