import { describe, expect, it } from 'vitest';
import { presetConfig } from '../src/train/presets.ts';
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

describe('parseTrainOptions errors', () => {
  const cases: { argv: string[]; message: string }[] = [
    { argv: ['--bogus'], message: 'unknown option --bogus, expected one of --preset, --corpus, --tokenizer, --strategy, --alpha, --steps, --seed, --eval-every, --eval-windows, --lr, --batch-size, --seq-len, --out, --help' },
    { argv: ['--bogus=1'], message: 'unknown option --bogus, expected one of --preset, --corpus, --tokenizer, --strategy, --alpha, --steps, --seed, --eval-every, --eval-windows, --lr, --batch-size, --seq-len, --out, --help' },
    { argv: ['steps'], message: 'unexpected argument "steps": every input is an option such as --steps 20 (see --help)' },
    { argv: ['--steps'], message: 'missing value for --steps, expected an integer >= 1' },
    { argv: ['--steps='], message: 'missing value for --steps, expected an integer >= 1' },
    { argv: ['--steps', '--seed', '1'], message: 'missing value for --steps, expected an integer >= 1' },
    { argv: ['--steps', '3', '--steps', '4'], message: 'option --steps is given more than once, keep one' },
    { argv: ['--help=yes'], message: '--help takes no value, give it alone' },
    { argv: ['--preset', 'huge'], message: 'invalid --preset "huge", expected one of tiny, small, gpt2-bpe' },
    { argv: ['--corpus', 'wiki'], message: 'invalid --corpus "wiki", expected one of brown' },
    { argv: ['--tokenizer', 'bpe'], message: 'invalid --tokenizer "bpe", expected one of char, gpt2' },
    { argv: ['--strategy', 'bogus'], message: 'invalid --strategy "bogus", unknown strategy "bogus", expected a comma-separated list of clm, eslm-loss, eslm-entropy without repeats' },
    { argv: ['--strategy', 'clm,'], message: 'invalid --strategy "clm,", an item is empty, expected a comma-separated list of clm, eslm-loss, eslm-entropy without repeats' },
    { argv: ['--strategy', 'clm,clm'], message: 'invalid --strategy "clm,clm", "clm" appears twice, expected a comma-separated list of clm, eslm-loss, eslm-entropy without repeats' },
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
    { argv: ['--strategy', 'clm,bogus'], message: 'invalid --strategy "clm,bogus", unknown strategy "bogus", expected a comma-separated list of clm, eslm-loss, eslm-entropy without repeats' },
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
