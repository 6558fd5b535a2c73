// Set-up validation and its round trip through the query string.
import { describe, expect, test } from 'vitest';
import type { CheckpointCheck } from '../../worker/protocol.ts';
import { checkpointContext, draftFromPreset, validateDraft, withStrategyOptions, type CheckpointFile, type DraftRun } from './draft.ts';
import { draftFromQuery, draftToQuery } from './url.ts';

const OK_CHECK: CheckpointCheck = { ok: true, summary: 'L=2 NH=4 C=64', tokenizer: 'char', vocabSize: 80, blockSize: 32 };

function checkpointFile(check: CheckpointCheck | undefined, checkedFor = 'brown|char'): CheckpointFile {
  return { id: 1, fileName: 'clm.safetensors', bytes: new Uint8Array([1, 2, 3]), check, checkedFor };
}

function withRuns(runs: DraftRun[]) {
  return { ...draftFromPreset('tiny'), runs };
}

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

describe('strategy options', () => {
  test('ada-eslm defaults', () => {
    const run = withStrategyOptions({ strategy: 'ada-eslm', alpha: '0.5' });
    expect(run).toEqual({ strategy: 'ada-eslm', alpha: '0.5', alphaMin: '0.2', alphaMax: '0.8' });
    expect(validateDraft(withRuns([run])).valid?.runs).toEqual([{ strategy: 'ada-eslm', alpha: 0.5, alphaMin: 0.2, alphaMax: 0.8 }]);
  });

  test('ada-eslm bounds invalid', () => {
    const outOfRange = validateDraft(withRuns([{ strategy: 'ada-eslm', alpha: '0.5', alphaMin: '-0.1', alphaMax: '1' }]));
    expect(outOfRange.errors['runs.0.alphaMin']).toBe('α min must be at least 0 and below 1, got -0.1.');
    expect(outOfRange.errors['runs.0.alphaMax']).toBe('α max must be at least 0 and below 1, got 1.');
    const crossed = validateDraft(withRuns([{ strategy: 'ada-eslm', alpha: '0.5', alphaMin: '0.7', alphaMax: '0.3' }]));
    expect(crossed.errors['runs.0.alphaMax']).toBe('α max 0.3 is below α min 0.7; raise α max or lower α min.');
    expect(crossed.valid).toBeUndefined();
  });

  test('eslm-kd lambda and temperature', () => {
    const run = withStrategyOptions({ strategy: 'eslm-kd', alpha: '0.5', checkpoint: checkpointFile(OK_CHECK) });
    expect(run.kdLambda).toBe('0.5');
    expect(run.kdTemperature).toBe('2');
    const { errors } = validateDraft(withRuns([{ ...run, kdLambda: '1.5', kdTemperature: '0' }]));
    expect(errors['runs.0.kdLambda']).toBe('λ must be from 0 to 1, got 1.5.');
    expect(errors['runs.0.kdTemperature']).toBe('τ must be above 0 and at most 100, got 0.');
  });

  test('hierarchical exit layers above nLayer', () => {
    const run = withStrategyOptions({ strategy: 'hierarchical', alpha: '0.5' });
    const { errors } = validateDraft(withRuns([{ ...run, exitLayers: '3' }]));
    expect(errors['runs.0.exitLayers']).toBe("Exit layers must be from 1 to 2, got 3. The shallow pass cannot have more blocks than the model's 2 layers.");
  });
});

describe('micro-batches', () => {
  test('valid divisor', () => {
    const { valid } = validateDraft({ ...draftFromPreset('tiny'), microBatches: '2' });
    expect(valid?.config.microBatches).toBe(2);
  });

  test('not a divisor of B', () => {
    const { errors } = validateDraft({ ...draftFromPreset('tiny'), microBatches: '3' });
    expect(errors.microBatches).toBe('3 micro-batches do not divide the batch size 4; choose a divisor of B.');
  });

  test('strategy without micro-batches', () => {
    const { errors } = validateDraft({ ...withRuns([{ strategy: 'random', alpha: '0.5' }]), microBatches: '2' });
    expect(errors.microBatches).toBe('Micro-batches above 1 work only with CLM, ESLM-loss, ESLM-entropy, Ada-ESLM; Random needs 1.');
  });
});

describe('checkpoint files', () => {
  const context = checkpointContext(draftFromPreset('tiny'), undefined);

  test('missing file', () => {
    const { errors, valid } = validateDraft(withRuns([{ strategy: 'rho1', alpha: '0.5' }]), { checkpointContext: context });
    expect(errors['runs.0.checkpoint']).toMatch(/^Rho-1 needs a reference model: load a \.safetensors checkpoint/);
    expect(valid).toBeUndefined();
  });

  test('check in flight is pending', () => {
    const { errors, pending, valid } = validateDraft(withRuns([{ strategy: 'rho1', alpha: '0.5', checkpoint: checkpointFile(undefined) }]), { checkpointContext: context });
    expect(errors).toEqual({});
    expect(pending['runs.0.checkpoint']).toBe('Checking "clm.safetensors"…');
    expect(valid).toBeUndefined();
  });

  test('check for another set-up is pending', () => {
    const run = { strategy: 'rho1', alpha: '0.5', checkpoint: checkpointFile(OK_CHECK, 'brown|gpt2') };
    expect(validateDraft(withRuns([run]), { checkpointContext: context }).pending['runs.0.checkpoint']).toBeDefined();
  });

  test('invalid file message', () => {
    const run = { strategy: 'eslm-kd', alpha: '0.5', checkpoint: checkpointFile({ ok: false, message: '"x" is not a usable checkpoint' }) };
    expect(validateDraft(withRuns([run]), { checkpointContext: context }).errors['runs.0.checkpoint']).toBe('"x" is not a usable checkpoint');
  });

  test('tokenizer mismatch message', () => {
    const run = { strategy: 'rho1', alpha: '0.5', checkpoint: checkpointFile({ ...OK_CHECK, mismatch: 'other tokenizer' }) };
    expect(validateDraft(withRuns([run]), { checkpointContext: context }).errors['runs.0.checkpoint']).toBe('other tokenizer');
  });

  test('context shorter than sequence length', () => {
    const run = { strategy: 'rho1', alpha: '0.5', checkpoint: checkpointFile({ ...OK_CHECK, blockSize: 16 }) };
    expect(validateDraft(withRuns([run]), { checkpointContext: context }).errors['runs.0.checkpoint'])
      .toBe('The reference model in "clm.safetensors" has context 16, shorter than the sequence length 32; lower the sequence length or load a model with a longer context.');
  });

  test('valid files get unique names', () => {
    const file = checkpointFile(OK_CHECK);
    const runs = [
      { strategy: 'rho1', alpha: '0.5', checkpoint: file },
      withStrategyOptions({ strategy: 'eslm-kd', alpha: '0.6', checkpoint: file }),
    ];
    const { valid } = validateDraft(withRuns(runs), { checkpointContext: context });
    expect(valid?.runs).toEqual([
      { strategy: 'rho1', alpha: 0.5, checkpoint: 'clm.safetensors (run 1)' },
      { strategy: 'eslm-kd', alpha: 0.6, kdLambda: 0.5, kdTemperature: 2, checkpoint: 'clm.safetensors (run 2)' },
    ]);
    expect(Object.keys(valid?.checkpoints ?? {})).toEqual(['clm.safetensors (run 1)', 'clm.safetensors (run 2)']);
    expect(valid?.checkpoints['clm.safetensors (run 1)']).toBe(file.bytes);
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

  test('round trip keeps strategy options', () => {
    const runs = [
      withStrategyOptions({ strategy: 'ada-eslm', alpha: '0.5' }),
      { ...withStrategyOptions({ strategy: 'ada-eslm', alpha: '0.4' }), alphaMin: '0.3', alphaMax: '0.6' },
      { ...withStrategyOptions({ strategy: 'eslm-kd', alpha: '0.5' }), kdLambda: '0.25', kdTemperature: '4' },
    ];
    const draft = { ...draftFromPreset('tiny'), microBatches: '2', runs };
    const query = draftToQuery(draft);
    expect(new URLSearchParams(query).get('runs')).toBe(
      'ada-eslm:0.5:alphaMin=0.2:alphaMax=0.8,ada-eslm:0.4:alphaMin=0.3:alphaMax=0.6,eslm-kd:0.5:kdLambda=0.25:kdTemperature=4');
    expect(draftFromQuery(query)?.draft).toEqual(draft);
  });

  test('link without options gets defaults', () => {
    const restored = draftFromQuery('runs=clm,ada-eslm:0.5');
    expect(restored?.draft.runs).toEqual([{ strategy: 'clm', alpha: '0' }, { strategy: 'ada-eslm', alpha: '0.5', alphaMin: '0.2', alphaMax: '0.8' }]);
    expect(restored?.draft.microBatches).toBe('1');
  });

  test('misplaced run options give notes', () => {
    const restored = draftFromQuery('runs=eslm-loss:0.5:kdLambda=0.3,ada-eslm:0.5:speed=2:alphaMin');
    expect(restored?.draft.runs[0]).toEqual({ strategy: 'eslm-loss', alpha: '0.5' });
    expect(restored?.notes).toEqual([
      'The link\'s run 1 option "kdLambda=0.3" is not an option of "eslm-loss" and was ignored.',
      'The link\'s run 2 option "speed=2" is not a run option and was ignored.',
      'The link\'s run 2 option "alphaMin" has no value and was ignored.',
    ]);
  });

  test('model file runs give notes', () => {
    const restored = draftFromQuery('runs=clm:0,rho1:0.5,eslm-kd:0.5');
    expect(restored?.notes).toEqual([
      'Run 2 (Rho-1) needs its reference model file, which a link cannot carry: load the .safetensors file again in that run\'s row.',
      'Run 3 (ESLM-KD) needs its teacher model file, which a link cannot carry: load the .safetensors file again in that run\'s row.',
    ]);
  });

  test('unknown parameter gives a note', () => {
    const restored = draftFromQuery('steps=5&colour=red');
    expect(restored?.draft.steps).toBe('5');
    expect(restored?.notes).toEqual(['The link\'s parameter "colour" is not a set-up field and was ignored.']);
  });
});
