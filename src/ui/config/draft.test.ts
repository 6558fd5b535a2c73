// Set-up validation and its round trip through the query string.
import { describe, expect, test } from 'vitest';
import { draftFromPreset, validateDraft } from './draft.ts';
import { draftFromQuery, draftToQuery } from './url.ts';

describe('validateDraft', () => {
  test('tiny preset is valid', () => {
    const { errors, valid } = validateDraft(draftFromPreset('tiny'));
    expect(errors).toEqual({});
    expect(valid?.config.model).toEqual({ nLayer: 2, nHead: 4, nEmbd: 64, blockSize: 32 });
    expect(valid?.runs).toEqual([{ strategy: 'clm', alpha: 0 }, { strategy: 'eslm-loss', alpha: 0.5 }]);
  });

  test('width not divisible by heads', () => {
    const { errors, valid } = validateDraft({ ...draftFromPreset('tiny'), nHead: '3' });
    expect(valid).toBeUndefined();
    expect(errors.nHead).toBe('Width 64 is not divisible by 3 heads; choose heads that divide the width.');
  });

  test('sequence length above context', () => {
    const { errors } = validateDraft({ ...draftFromPreset('tiny'), seqLen: '64' });
    expect(errors.seqLen).toBe('Sequence length 64 exceeds the context 32; lower it or raise the context.');
  });

  test('bad numbers and runs', () => {
    const draft = { ...draftFromPreset('tiny'), steps: '1.5', lr: 'fast', runs: [{ strategy: 'eslm-loss', alpha: '1' }, { strategy: 'nope', alpha: '0' }] };
    const { errors } = validateDraft(draft);
    expect(errors.steps).toBe('Steps must be a whole number, got "1.5".');
    expect(errors.lr).toBe('Learning rate must be a number, got "fast".');
    expect(errors['runs.0.alpha']).toBe('α must be at least 0 and below 1, got 1.');
    expect(errors['runs.1.strategy']).toMatch(/^Unknown strategy "nope"/);
  });

  test('no runs', () => {
    expect(validateDraft({ ...draftFromPreset('tiny'), runs: [] }).errors.runs).toBe('Add at least one strategy to run.');
  });
});

describe('query string', () => {
  test('round trip keeps every field', () => {
    const draft = { ...draftFromPreset('gpt2-bpe'), steps: '321', seed: '7', runs: [{ strategy: 'eslm-entropy', alpha: '0.25' }] };
    const restored = draftFromQuery(draftToQuery(draft));
    expect(restored?.draft).toEqual(draft);
    expect(restored?.notes).toEqual([]);
  });

  test('empty query restores nothing', () => {
    expect(draftFromQuery('')).toBeNull();
  });

  test('unknown parameter gives a note', () => {
    const restored = draftFromQuery('steps=5&colour=red');
    expect(restored?.draft.steps).toBe('5');
    expect(restored?.notes).toEqual(['The link\'s parameter "colour" is not a set-up field and was ignored.']);
  });
});
