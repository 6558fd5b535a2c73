// Decoding and cutting a user's text file.
import { describe, expect, test } from 'vitest';
import { decodeUserText, userTextDocuments, UserTextError, USER_TEXT_DOCUMENTS } from './user-text.ts';

const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;

describe('decodeUserText', () => {
  test('accepts UTF-8 text', () => {
    expect(decodeUserText(bytes('héllo\nwörld'), 'a.txt')).toBe('héllo\nwörld');
  });

  test('rejects an empty file', () => {
    expect(() => decodeUserText(new ArrayBuffer(0), 'e.txt')).toThrow(new UserTextError('The file "e.txt" is empty. Choose a UTF-8 text file with some text in it.'));
  });

  test('rejects invalid UTF-8', () => {
    expect(() => decodeUserText(new Uint8Array([0x89, 0x50, 0xff]).buffer, 'p.png')).toThrow(/"p.png" is not UTF-8 text/);
  });

  test('rejects NUL bytes', () => {
    expect(() => decodeUserText(bytes('a\u0000b'), 'n.bin')).toThrow(/contains NUL bytes/);
  });

  test('rejects control characters', () => {
    expect(() => decodeUserText(bytes('\u0001\u0002abc'), 'c.bin')).toThrow(/control characters/);
  });
});

describe('userTextDocuments', () => {
  test('cuts text into documents that rejoin to it', () => {
    const text = Array.from({ length: 50 }, (_, i) => `line ${i} of the test text`).join('\n');
    const documents = userTextDocuments(text, 'lines.txt');
    expect(documents).toHaveLength(USER_TEXT_DOCUMENTS);
    expect(documents.map((doc) => doc.text).join('')).toBe(text);
    expect(new Set(documents.map((doc) => doc.id)).size).toBe(USER_TEXT_DOCUMENTS);
  });
});
