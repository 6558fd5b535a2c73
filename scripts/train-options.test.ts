import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, presetConfig } from '../src/train/presets.ts';
import { STRATEGIES } from '../src/train/types.ts';
import { isHelpRequest, parseTrainOptions, TRAIN_USAGE, UsageError } from './train-options.ts';

/** Returns the UsageError that parsing argv raises, failing the test when none is raised. */
function usageError(argv: string[]): UsageError {
  try {
    parseTrainOptions(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(argv)}`);
}

describe('parseTrainOptions defaults', () => {
  it('uses the tiny preset unchanged', () => {
    const options = parseTrainOptions([]);
    expect(options.preset).toBe('tiny');
    expect(options.config).toEqual(presetConfig('tiny'));
    expect(options.out).toBe('report.json');
  });

  it('runs clm and eslm-loss at alpha 0.5', () => {
    const options = parseTrainOptions([]);
    expect(options.runs).toEqual([
      { strategy: 'clm', alpha: 0.5 },
      { strategy: 'eslm-loss', alpha: 0.5 },
    ]);
  });

  it('returns a copy of the preset', () => {
    parseTrainOptions([]).config.model.nLayer = 99;
    expect(parseTrainOptions([]).config.model.nLayer).toBe(presetConfig('tiny').model.nLayer);
  });
});

describe('parseTrainOptions overrides', () => {
  it('selects another preset', () => {
    const options = parseTrainOptions(['--preset', 'small']);
    expect(options.preset).toBe('small');
    expect(options.config).toEqual(presetConfig('small'));
  });

  it('sets corpus and tokenizer', () => {
    const options = parseTrainOptions(['--corpus', 'brown', '--tokenizer', 'gpt2']);
    expect(options.config.corpus).toBe('brown');
    expect(options.config.tokenizer).toBe('gpt2');
  });

  it('sets strategies in the given order', () => {
    const options = parseTrainOptions(['--strategy', 'eslm-entropy,clm']);
    expect(options.runs.map((run) => run.strategy)).toEqual(['eslm-entropy', 'clm']);
  });

  it('accepts a single strategy', () => {
    expect(parseTrainOptions(['--strategy', 'clm']).runs).toEqual([{ strategy: 'clm', alpha: 0.5 }]);
  });

  it('gives every run the same alpha', () => {
    const options = parseTrainOptions(['--strategy', 'clm,eslm-loss,eslm-entropy', '--alpha', '0.8']);
    expect(options.runs.map((run) => run.alpha)).toEqual([0.8, 0.8, 0.8]);
  });

  it('accepts alpha 0', () => {
    expect(parseTrainOptions(['--alpha', '0']).runs[0].alpha).toBe(0);
  });

  it('sets steps, seed and eval interval', () => {
    const { config } = parseTrainOptions(['--steps', '20', '--seed', '7', '--eval-every', '0']);
    expect(config.steps).toBe(20);
    expect(config.seed).toBe(7);
    expect(config.evalEvery).toBe(0);
  });

  it('sets validation windows per genre', () => {
    expect(parseTrainOptions(['--eval-windows', '2']).config.evalWindowsPerGenre).toBe(2);
    expect(() => parseTrainOptions(['--eval-windows', '0'])).toThrow('invalid --eval-windows "0", expected an integer >= 1');
  });

  it('accepts the largest 32-bit seed', () => {
    expect(parseTrainOptions(['--seed', '4294967295']).config.seed).toBe(4294967295);
  });

  it('sets the learning rate', () => {
    expect(parseTrainOptions(['--lr', '3e-4']).config.optimizer.lr).toBe(3e-4);
    expect(parseTrainOptions(['--lr', '.01']).config.optimizer.lr).toBe(0.01);
  });

  it('sets the batch size', () => {
    expect(parseTrainOptions(['--batch-size', '2']).config.batchSize).toBe(2);
  });

  it('shortens seq-len without changing blockSize', () => {
    const { config } = parseTrainOptions(['--seq-len', '16']);
    expect(config.seqLen).toBe(16);
    expect(config.model.blockSize).toBe(presetConfig('tiny').model.blockSize);
  });

  it('raises blockSize to a longer seq-len', () => {
    const { config } = parseTrainOptions(['--seq-len', '48']);
    expect(config.seqLen).toBe(48);
    expect(config.model.blockSize).toBe(48);
  });

  it('sets the report path', () => {
    expect(parseTrainOptions(['--out', '/tmp/r.json']).out).toBe('/tmp/r.json');
  });

  it('leaves options not given at preset values', () => {
    const { config } = parseTrainOptions(['--steps', '5']);
    expect({ ...config, steps: 150 }).toEqual(presetConfig('tiny'));
  });
});

describe('parseTrainOptions equals form', () => {
  it('reads --name=value like --name value', () => {
    const spaced = parseTrainOptions(['--preset', 'small', '--strategy', 'clm', '--alpha', '0.25', '--steps', '3', '--out', 'a.json']);
    const joined = parseTrainOptions(['--preset=small', '--strategy=clm', '--alpha=0.25', '--steps=3', '--out=a.json']);
    expect(joined).toEqual(spaced);
  });

  it('keeps equals signs inside the value', () => {
    expect(parseTrainOptions(['--out=a=b.json']).out).toBe('a=b.json');
  });

  it('mixes both forms', () => {
    const options = parseTrainOptions(['--steps=4', '--seed', '2']);
    expect(options.config.steps).toBe(4);
    expect(options.config.seed).toBe(2);
  });

  it('takes a dash-led value after equals', () => {
    expect(parseTrainOptions(['--out=-r.json']).out).toBe('-r.json');
  });
});

const ALL_OPTIONS = [
  '--preset', '--corpus', '--tokenizer', '--strategy', '--alpha', '--steps', '--seed', '--eval-every', '--eval-windows',
  '--lr', '--batch-size', '--seq-len', '--alpha-min', '--alpha-max', '--checkpoint', '--kd-lambda', '--kd-temperature',
  '--sequence-alpha', '--exit-layers', '--micro-batches', '--save-checkpoints', '--out', '--help',
].join(', ');
const STRATEGY_LIST = STRATEGIES.join(', ');

describe('strategy options', () => {
  it('passes ada-eslm bounds and kd settings to their runs only', () => {
    const { runs, checkpointFiles } = parseTrainOptions([
      '--strategy', 'clm,ada-eslm,eslm-kd,rho1', '--alpha-min', '0.1', '--alpha-max', '0.9',
      '--kd-lambda', '0.3', '--kd-temperature', '1.5', '--checkpoint', 'ref.safetensors',
    ]);
    expect(runs[0]).toEqual({ strategy: 'clm', alpha: 0.5 });
    expect(runs[1]).toEqual({ strategy: 'ada-eslm', alpha: 0.5, alphaMin: 0.1, alphaMax: 0.9 });
    expect(runs[2]).toEqual({ strategy: 'eslm-kd', alpha: 0.5, checkpoint: 'reference', kdLambda: 0.3, kdTemperature: 1.5 });
    expect(runs[3]).toEqual({ strategy: 'rho1', alpha: 0.5, checkpoint: 'reference' });
    expect(checkpointFiles).toEqual({ reference: 'ref.safetensors' });
  });

  it('requires a checkpoint for rho1 and eslm-kd', () => {
    expect(usageError(['--strategy', 'clm,rho1']).message).toBe('--strategy rho1 needs --checkpoint FILE, a model saved with --save-checkpoints');
  });

  it('rejects inverted ada bounds and bad kd values', () => {
    expect(usageError(['--alpha-min', '0.6', '--alpha-max', '0.4']).message).toContain('invalid --alpha-max "0.4"');
    expect(usageError(['--kd-lambda', '1.5']).message).toBe('invalid --kd-lambda "1.5", expected a number in [0, 1]');
    expect(usageError(['--kd-temperature', '0']).message).toBe('invalid --kd-temperature "0", expected a positive number');
  });

  it('passes hierarchical levels and micro-batches', () => {
    const { runs } = parseTrainOptions(['--strategy', 'hierarchical,clm', '--sequence-alpha', '0.25', '--exit-layers', '2']);
    expect(runs[0]).toEqual({ strategy: 'hierarchical', alpha: 0.5, sequenceAlpha: 0.25, exitLayers: 2 });
    expect(runs[1]).toEqual({ strategy: 'clm', alpha: 0.5 });
    expect(parseTrainOptions(['--strategy', 'clm,eslm-loss', '--micro-batches', '2']).config.microBatches).toBe(2);
    expect(usageError(['--exit-layers', '3']).message).toBe('invalid --exit-layers "3", the tiny model has 2 layers, expected an integer from 1 to the model\'s layer count');
    expect(usageError(['--strategy', 'clm,hierarchical', '--micro-batches', '2']).message)
      .toBe('--micro-batches 2 is not supported for hierarchical; it works with clm, eslm-loss, eslm-entropy, ada-eslm');
    expect(usageError(['--micro-batches', '3']).message).toBe('invalid --micro-batches "3", batch size 4 is not divisible by it, expected a positive integer dividing the batch size');
  });

  it('keeps the save folder', () => {
    expect(parseTrainOptions(['--save-checkpoints', 'ckpt']).saveCheckpoints).toBe('ckpt');
    expect(parseTrainOptions([]).saveCheckpoints).toBeUndefined();
  });
});

describe('parseTrainOptions errors', () => {
  const cases: { argv: string[]; message: string }[] = [
    { argv: ['--bogus'], message: `unknown option --bogus, expected one of ${ALL_OPTIONS}` },
    { argv: ['--bogus=1'], message: `unknown option --bogus, expected one of ${ALL_OPTIONS}` },
    { argv: ['steps'], message: 'unexpected argument "steps": every input is an option such as --steps 20 (see --help)' },
    { argv: ['--steps'], message: 'missing value for --steps, expected an integer >= 1' },
    { argv: ['--steps='], message: 'missing value for --steps, expected an integer >= 1' },
    { argv: ['--steps', '--seed', '1'], message: 'missing value for --steps, expected an integer >= 1' },
    { argv: ['--steps', '3', '--steps', '4'], message: 'option --steps is given more than once, keep one' },
    { argv: ['--help=yes'], message: '--help takes no value, give it alone' },
    { argv: ['--preset', 'huge'], message: `invalid --preset "huge", expected one of ${PRESET_NAMES.join(', ')}` },
    { argv: ['--corpus', 'wiki'], message: 'invalid --corpus "wiki", expected one of brown, nlp-corpus' },
    { argv: ['--tokenizer', 'bpe'], message: 'invalid --tokenizer "bpe", expected one of char, gpt2' },
    { argv: ['--strategy', 'bogus'], message: `invalid --strategy "bogus", unknown strategy "bogus", expected a comma-separated list of ${STRATEGY_LIST} without repeats` },
    { argv: ['--strategy', 'clm,'], message: `invalid --strategy "clm,", an item is empty, expected a comma-separated list of ${STRATEGY_LIST} without repeats` },
    { argv: ['--strategy', 'clm,clm'], message: `invalid --strategy "clm,clm", "clm" appears twice, expected a comma-separated list of ${STRATEGY_LIST} without repeats` },
    { argv: ['--alpha', '1'], message: 'invalid --alpha "1", expected a number in [0, 1)' },
    { argv: ['--alpha', '-0.1'], message: 'invalid --alpha "-0.1", expected a number in [0, 1)' },
    { argv: ['--alpha', 'half'], message: 'invalid --alpha "half", expected a number in [0, 1)' },
    { argv: ['--alpha', 'NaN'], message: 'invalid --alpha "NaN", expected a number in [0, 1)' },
    { argv: ['--steps', '1.5'], message: 'invalid --steps "1.5", expected an integer >= 1' },
    { argv: ['--steps', 'abc'], message: 'invalid --steps "abc", expected an integer >= 1' },
    { argv: ['--steps', '0'], message: 'invalid --steps "0", expected an integer >= 1' },
    { argv: ['--steps', '-5'], message: 'invalid --steps "-5", expected an integer >= 1' },
    { argv: ['--steps', '1e3'], message: 'invalid --steps "1e3", expected an integer >= 1' },
    { argv: ['--seed', '-1'], message: 'invalid --seed "-1", expected an integer in [0, 4294967295]' },
    { argv: ['--seed', '4294967296'], message: 'invalid --seed "4294967296", expected an integer in [0, 4294967295]' },
    { argv: ['--eval-every', '2.5'], message: 'invalid --eval-every "2.5", expected an integer >= 0' },
    { argv: ['--lr', '0'], message: 'invalid --lr "0", expected a positive number such as 3e-3' },
    { argv: ['--lr', '1e999'], message: 'invalid --lr "1e999", expected a positive number such as 3e-3' },
    { argv: ['--lr', '0x10'], message: 'invalid --lr "0x10", expected a positive number such as 3e-3' },
    { argv: ['--batch-size', '0'], message: 'invalid --batch-size "0", expected an integer >= 1' },
    { argv: ['--out'], message: 'missing value for --out, expected a file path' },
    { argv: ['--strategy', 'clm,bogus'], message: `invalid --strategy "clm,bogus", unknown strategy "bogus", expected a comma-separated list of ${STRATEGY_LIST} without repeats` },
    { argv: ['--seq-len', 'long'], message: 'invalid --seq-len "long", expected an integer >= 1' },
  ];

  for (const { argv, message } of cases) {
    it(`rejects ${argv.join(' ')}`, () => {
      const error = usageError(argv);
      expect(error.message).toBe(message);
      expect(error.message).not.toContain('\n');
    });
  }
});

describe('help', () => {
  it('detects --help and -h anywhere', () => {
    expect(isHelpRequest(['--steps', '3', '--help'])).toBe(true);
    expect(isHelpRequest(['-h'])).toBe(true);
    expect(isHelpRequest(['--steps', '3'])).toBe(false);
  });

  it('parses alongside --help', () => {
    expect(parseTrainOptions(['--help', '--steps', '3']).config.steps).toBe(3);
  });

  it('lists every option in the usage text', () => {
    for (const option of ['--preset', '--corpus', '--tokenizer', '--strategy', '--alpha', '--steps', '--seed', '--eval-every', '--eval-windows', '--lr', '--batch-size', '--seq-len', '--out', '--help']) {
      expect(TRAIN_USAGE).toContain(option);
    }
  });
});
