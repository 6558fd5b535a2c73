// The user's own text file as a training corpus: decoded strictly as UTF-8, rejected
// when empty or binary, and cut into documents so the usual train/validation split by
// whole documents applies.

import type { BrownDocument } from './brown.ts';

/** Genre code given to every document cut from a user's file. */
export const USER_TEXT_GENRE = 'user';

/** Documents a user's text is cut into; the split keeps one of ten for validation. */
export const USER_TEXT_DOCUMENTS = 10;

/** Share of control characters (other than tab, newline, carriage return, form feed) above which text counts as binary. */
const MAX_CONTROL_SHARE = 0.01;

export class UserTextError extends Error {}

/**
 * Decodes a file's bytes as UTF-8 text. Throws UserTextError for an empty file, for
 * bytes that are not valid UTF-8, and for text with NUL bytes or more than 1 % control
 * characters (a binary file that happens to decode).
 */
export function decodeUserText(bytes: ArrayBuffer, fileName: string): string {
  if (bytes.byteLength === 0) {
    throw new UserTextError(`The file "${fileName}" is empty. Choose a UTF-8 text file with some text in it.`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserTextError(`The file "${fileName}" is not UTF-8 text (it looks binary). Choose a plain text file, e.g. .txt or .md.`);
  }
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0) {
      throw new UserTextError(`The file "${fileName}" contains NUL bytes, so it is binary, not text. Choose a plain text file.`);
    }
    if ((code < 32 && code !== 9 && code !== 10 && code !== 13 && code !== 12) || code === 127) control++;
  }
  if (control > MAX_CONTROL_SHARE * text.length) {
    throw new UserTextError(`The file "${fileName}" has ${control} control characters in ${text.length}, so it looks binary. Choose a plain text file.`);
  }
  if (text.trim() === '') {
    throw new UserTextError(`The file "${fileName}" contains only whitespace. Choose a file with some text in it.`);
  }
  return text;
}

/**
 * Cuts text into USER_TEXT_DOCUMENTS documents of about equal length, each cut moved
 * forward to the next line break when one is near, so lines stay whole.
 */
export function userTextDocuments(text: string, fileName: string): BrownDocument[] {
  const pieceLength = Math.ceil(text.length / USER_TEXT_DOCUMENTS);
  const documents: BrownDocument[] = [];
  let start = 0;
  for (let i = 0; i < USER_TEXT_DOCUMENTS && start < text.length; i++) {
    let end = i === USER_TEXT_DOCUMENTS - 1 ? text.length : Math.min(text.length, start + pieceLength);
    const newline = text.indexOf('\n', end);
    if (newline !== -1 && newline - end < pieceLength / 4 && i < USER_TEXT_DOCUMENTS - 1) end = newline + 1;
    documents.push({
      id: `user${String(i).padStart(2, '0')}`,
      genre: USER_TEXT_GENRE,
      category: fileName,
      text: text.slice(start, end),
    });
    start = end;
  }
  return documents;
}

/**
 * Characters a user's text needs for a context of seqLen positions: every document
 * must hold a window of seqLen + 1 tokens, and with the character tokenizer a token is
 * at most one character. Returns 0 when the text is long enough.
 */
export function userTextShortfall(text: string, seqLen: number): number {
  const needed = USER_TEXT_DOCUMENTS * (seqLen + 2);
  return text.length >= needed ? 0 : needed;
}
