// Tokenizers: characters (vocabulary taken from a corpus) and GPT-2 byte-pair encoding.
import { decode as decodeR50k, encode as encodeR50k } from 'gpt-tokenizer/encoding/r50k_base';

export interface Tokenizer {
  name: 'char' | 'gpt2';
  /** V: number of token ids. Every id is in [0, vocabSize). */
  vocabSize: number;
  /** Id appended after each document, so it separates documents in a token stream. */
  eotToken: number;
  encode(text: string): Int32Array | number[];
  decode(ids: ArrayLike<number>): string;
}

/** Serialised form of a CharTokenizer, for checkpoints. */
export interface CharVocabularyJSON {
  kind: 'char';
  /** Code points of ids 2, 3, …, in that order. */
  codePoints: number[];
}

/**
 * One token per Unicode code point of the corpus it was built from. Id 0 is the
 * end-of-text token and decodes to a blank line (`\n\n`), so decoded streams show
 * document boundaries. Id 1 is the unknown token: code points outside the vocabulary
 * encode to it, and it decodes to U+FFFD. Ids 2 and up are the corpus's code points in
 * ascending order.
 */
export class CharTokenizer implements Tokenizer {
  static readonly EOT = 0;
  static readonly UNKNOWN = 1;
  static readonly EOT_TEXT = '\n\n';
  static readonly UNKNOWN_TEXT = '\uFFFD';

  readonly name = 'char' as const;
  readonly eotToken = CharTokenizer.EOT;
  readonly vocabSize: number;
  private readonly codePoints: readonly number[];
  private readonly idOf = new Map<number, number>();

  private constructor(codePoints: number[]) {
    this.codePoints = codePoints;
    codePoints.forEach((codePoint, index) => this.idOf.set(codePoint, index + 2));
    this.vocabSize = codePoints.length + 2;
  }

  /** Builds the vocabulary from the distinct code points of text. */
  static fromText(text: string): CharTokenizer {
    const distinct = new Set<number>();
    for (const char of text) distinct.add(char.codePointAt(0)!);
    return new CharTokenizer([...distinct].sort((a, b) => a - b));
  }

  static fromJSON(json: CharVocabularyJSON): CharTokenizer {
    if (json.kind !== 'char' || !Array.isArray(json.codePoints)) {
      throw new Error('invalid char vocabulary: expected { kind: "char", codePoints: number[] }');
    }
    for (let i = 0; i < json.codePoints.length; i++) {
      const codePoint = json.codePoints[i]!;
      const valid = Number.isInteger(codePoint) && codePoint >= 0 && codePoint <= 0x10ffff;
      if (!valid || (i > 0 && codePoint <= json.codePoints[i - 1]!)) {
        throw new Error(`invalid char vocabulary: code point ${codePoint} at index ${i} is out of range or not ascending`);
      }
    }
    return new CharTokenizer([...json.codePoints]);
  }

  toJSON(): CharVocabularyJSON {
    return { kind: 'char', codePoints: [...this.codePoints] };
  }

  encode(text: string): Int32Array {
    const ids: number[] = [];
    for (const char of text) ids.push(this.idOf.get(char.codePointAt(0)!) ?? CharTokenizer.UNKNOWN);
    return Int32Array.from(ids);
  }

  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) text += this.tokenText(ids[i]!);
    return text;
  }

  private tokenText(id: number): string {
    if (id === CharTokenizer.EOT) return CharTokenizer.EOT_TEXT;
    if (id === CharTokenizer.UNKNOWN) return CharTokenizer.UNKNOWN_TEXT;

    const codePoint = Number.isInteger(id) && id >= 2 ? this.codePoints[id - 2] : undefined;
    if (codePoint === undefined) {
      throw new Error(`invalid token id ${id} for a char vocabulary of size ${this.vocabSize}`);
    }
    return String.fromCodePoint(codePoint);
  }
}

/**
 * GPT-2's byte-pair encoding (r50k_base, bundled in gpt-tokenizer 4.0.0, no network).
 * Text is encoded as plain text: a literal `<|endoftext|>` in it becomes ordinary
 * tokens, and only eotToken (50256) marks a document boundary.
 */
export class Gpt2Tokenizer implements Tokenizer {
  readonly name = 'gpt2' as const;
  readonly vocabSize = 50257;
  readonly eotToken = 50256;

  encode(text: string): number[] {
    return encodeR50k(text, { disallowedSpecial: new Set() });
  }

  decode(ids: ArrayLike<number>): string {
    return decodeR50k(Array.from(ids));
  }
}
