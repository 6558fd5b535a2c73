// Command-line options of `npm run train`: pure parsing, no file or process access, so
// the rules are testable in Node. Every rejected input raises a UsageError whose message
// fits on one line and names the option and the values it accepts.

import { PRESET_NAMES, presetConfig, type PresetName } from '../src/train/presets.ts';
import {
  CORPORA,
  STRATEGIES,
  STRATEGIES_WITH_CHECKPOINT,
  MICRO_BATCH_STRATEGIES,
  TOKENIZERS,
  type CorpusName,
  type ExperimentConfig,
  type RunSpec,
  type StrategyName,
  type TokenizerName,
} from '../src/train/types.ts';

/** Invalid command-line input: the message is one line, fit to print after `error: `. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface TrainOptions {
  /** The preset's configuration with every command-line override applied. */
  config: ExperimentConfig;
  /** One run per strategy, in command-line order, all with the same alpha. */
  runs: RunSpec[];
  /** Path of the JSON report as given. scripts/train.ts resolves a relative path against the directory npm was called from. */
  out: string;
  preset: PresetName;
  /** Checkpoint files by the name runs refer to (`reference` for --checkpoint), as given. */
  checkpointFiles: Record<string, string>;
  /** Folder for every run's final checkpoint (--save-checkpoints), as given. */
  saveCheckpoints?: string;
}

/** Name under which --checkpoint reaches the rho1 and eslm-kd runs. */
export const REFERENCE_CHECKPOINT = 'reference';

export const DEFAULT_PRESET: PresetName = 'tiny';
export const DEFAULT_STRATEGIES: readonly StrategyName[] = ['clm', 'eslm-loss'];
export const DEFAULT_ALPHA = 0.5;
export const DEFAULT_OUT = 'report.json';

/** Largest seed that keeps its identity: the RNG reduces seeds modulo 2^32. */
const MAX_SEED = 2 ** 32 - 1;

const VALUE_OPTIONS = [
  '--preset',
  '--corpus',
  '--tokenizer',
  '--strategy',
  '--alpha',
  '--steps',
  '--seed',
  '--eval-every',
  '--eval-windows',
  '--lr',
  '--batch-size',
  '--seq-len',
  '--alpha-min',
  '--alpha-max',
  '--checkpoint',
  '--kd-lambda',
  '--kd-temperature',
  '--sequence-alpha',
  '--exit-layers',
  '--micro-batches',
  '--save-checkpoints',
  '--out',
] as const;
type ValueOption = (typeof VALUE_OPTIONS)[number];

/** Accepted values of each option, as error messages state them. */
const ACCEPTED_VALUES: Record<ValueOption, string> = {
  '--preset': `one of ${PRESET_NAMES.join(', ')}`,
  '--corpus': `one of ${CORPORA.join(', ')}`,
  '--tokenizer': `one of ${TOKENIZERS.join(', ')}`,
  '--strategy': `a comma-separated list of ${STRATEGIES.join(', ')} without repeats`,
  '--alpha': 'a number in [0, 1)',
  '--steps': 'an integer >= 1',
  '--seed': `an integer in [0, ${MAX_SEED}]`,
  '--eval-every': 'an integer >= 0',
  '--eval-windows': 'an integer >= 1',
  '--lr': 'a positive number such as 3e-3',
  '--batch-size': 'an integer >= 1',
  '--seq-len': 'an integer >= 1',
  '--alpha-min': 'a number in [0, 1)',
  '--alpha-max': 'a number in [0, 1) not below --alpha-min',
  '--checkpoint': 'a .safetensors file saved by --save-checkpoints',
  '--kd-lambda': 'a number in [0, 1]',
  '--kd-temperature': 'a positive number',
  '--sequence-alpha': 'a number in [0, 1)',
  '--exit-layers': 'an integer from 1 to the model\'s layer count',
  '--micro-batches': 'a positive integer dividing the batch size',
  '--save-checkpoints': 'a folder path',
  '--out': 'a file path',
};

function invalidValue(option: ValueOption, value: string, detail?: string): UsageError {
  const reason = detail === undefined ? '' : `, ${detail}`;
  return new UsageError(`invalid ${option} "${value}"${reason}, expected ${ACCEPTED_VALUES[option]}`);
}

const HELP_FLAGS = ['--help', '-h'];

export const TRAIN_USAGE = `Usage: npm run train -- [options]

Trains GPT-2 models with the app's WebGPU engine in headless Chromium and writes a
JSON report. Progress goes to stderr. Options take "--name value" or "--name=value".

  --preset NAME       configuration to start from: ${PRESET_NAMES.join(', ')} (default ${DEFAULT_PRESET})
  --corpus NAME       training corpus: ${CORPORA.join(', ')} (default: the preset's)
  --tokenizer NAME    ${TOKENIZERS.join(' or ')} (default: the preset's)
  --strategy LIST     comma-separated token-selection strategies, one run each, no
                      repeats: ${STRATEGIES.join(', ')} (default ${DEFAULT_STRATEGIES.join(',')})
  --alpha A           ESLM confidence level in [0, 1), the same for every run;
                      CLM keeps all tokens whatever A is (default ${DEFAULT_ALPHA})
  --steps N           optimizer steps per run, a positive integer
  --seed S            random seed for initialization and batches, an integer in [0, ${MAX_SEED}]
  --eval-every N      steps between validation passes, an integer >= 0; 0 evaluates
                      only at the first and last step
  --eval-windows N    validation windows of T tokens per Brown genre at each
                      evaluation, a positive integer (default: the preset's)
  --lr X              peak learning rate, a positive number
  --batch-size N      sequences per batch, a positive integer
  --seq-len N         positions per sequence, a positive integer; a value above the
                      preset's context length raises the model's blockSize to N
  --alpha-min A       lower bound of ada-eslm's adaptive alpha (default 0.2)
  --alpha-max A       upper bound of ada-eslm's adaptive alpha (default 0.8)
  --checkpoint FILE   model checkpoint for rho1 (reference model) and eslm-kd
                      (teacher); it must use the same tokenizer
  --kd-lambda X       eslm-kd weight of the distillation term, in [0, 1] (default 0.5)
  --kd-temperature X  eslm-kd softmax temperature, > 0 (default 2)
  --sequence-alpha A  hierarchical: sequence-level confidence level in [0, 1) (default 0.5)
  --exit-layers N     hierarchical: blocks of the shallow scoring pass (default 1)
  --micro-batches N   split each batch into N micro-batches with one selection over
                      the whole batch (clm, eslm-loss, eslm-entropy, ada-eslm; default 1)
  --save-checkpoints DIR  write each run's final model to DIR/RUN.safetensors
  --out FILE          path of the JSON report (default ${DEFAULT_OUT})
  --help, -h          print this text and exit

Example: npm run train -- --preset tiny --strategy clm,eslm-loss --alpha 0.5 --steps 20 --out /tmp/r.json
`;

/** Returns true when argv contains --help or -h, which take precedence over every other option and error. */
export function isHelpRequest(argv: readonly string[]): boolean {
  return argv.some((arg) => HELP_FLAGS.includes(arg));
}

function isValueOption(name: string): name is ValueOption {
  return (VALUE_OPTIONS as readonly string[]).includes(name);
}

/** Splits argv into option values, rejecting unknown, repeated and value-less options. */
function collectValues(argv: readonly string[]): Map<ValueOption, string> {
  const values = new Map<ValueOption, string>();
  let index = 0;
  while (index < argv.length) {
    const arg = argv[index];
    index += 1;

    if (HELP_FLAGS.includes(arg)) continue;
    if (!arg.startsWith('-')) {
      throw new UsageError(`unexpected argument "${arg}": every input is an option such as --steps 20 (see --help)`);
    }

    const equals = arg.indexOf('=');
    const name = equals === -1 ? arg : arg.slice(0, equals);
    if (HELP_FLAGS.includes(name)) throw new UsageError(`${name} takes no value, give it alone`);
    if (!isValueOption(name)) {
      throw new UsageError(`unknown option ${name}, expected one of ${VALUE_OPTIONS.join(', ')}, --help`);
    }
    if (values.has(name)) throw new UsageError(`option ${name} is given more than once, keep one`);

    let value: string | undefined;
    if (equals !== -1) {
      value = arg.slice(equals + 1);
    } else {
      // A following option is a missing value, but a negative number such as -0.1 is a value.
      const next = argv[index];
      if (next !== undefined && !(next.startsWith('-') && !/^-[0-9.]/.test(next))) {
        value = next;
        index += 1;
      }
    }
    if (value === undefined || value === '') {
      throw new UsageError(`missing value for ${name}, expected ${ACCEPTED_VALUES[name]}`);
    }
    values.set(name, value);
  }
  return values;
}

function parseChoice<T extends string>(option: ValueOption, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw invalidValue(option, value);
}

/** Parses a decimal integer in [min, max]: no sign, fraction, exponent or hexadecimal. */
function parseInteger(option: ValueOption, value: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (!/^[0-9]+$/.test(value)) throw invalidValue(option, value);
  const number = Number(value);
  if (number < min || number > max) throw invalidValue(option, value);
  return number;
}

/** Parses a finite decimal number such as 0.5, .5, 3e-4 or -1 (the caller checks the range). */
function parseDecimal(option: ValueOption, value: string): number {
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(value)) throw invalidValue(option, value);
  const number = Number(value);
  if (!Number.isFinite(number)) throw invalidValue(option, value);
  return number;
}

function parseAlpha(value: string): number {
  const alpha = parseDecimal('--alpha', value);
  if (alpha < 0 || alpha >= 1) throw invalidValue('--alpha', value);
  return alpha;
}

/** Parse a number in [0, 1), or in [0, 1] when `closed`. */
function parseUnitInterval(option: ValueOption, value: string, closed: boolean): number {
  const number = parseDecimal(option, value);
  if (number < 0 || number > 1 || (!closed && number === 1)) throw invalidValue(option, value);
  return number;
}

function parsePositive(option: ValueOption, value: string): number {
  const number = parseDecimal(option, value);
  if (number <= 0) throw invalidValue(option, value);
  return number;
}

function parseLearningRate(value: string): number {
  const lr = parseDecimal('--lr', value);
  if (lr <= 0) throw invalidValue('--lr', value);
  return lr;
}

function parseStrategies(value: string): StrategyName[] {
  const strategies: StrategyName[] = [];
  for (const item of value.split(',')) {
    const name = item.trim();
    if (name === '') throw invalidValue('--strategy', value, 'an item is empty');
    if (!(STRATEGIES as readonly string[]).includes(name)) {
      throw invalidValue('--strategy', value, `unknown strategy "${name}"`);
    }
    if (strategies.includes(name as StrategyName)) {
      throw invalidValue('--strategy', value, `"${name}" appears twice`);
    }
    strategies.push(name as StrategyName);
  }
  return strategies;
}

/**
 * Parses the arguments after `npm run train --` into an experiment configuration and
 * its runs. The result starts from a deep copy of the preset, so callers may modify it.
 * Throws UsageError for an unknown, repeated or value-less option and for a value
 * outside the option's accepted set or range. `--help` is accepted and ignored here
 * (see isHelpRequest).
 */
export function parseTrainOptions(argv: readonly string[]): TrainOptions {
  const values = collectValues(argv);
  const value = (name: ValueOption): string | undefined => values.get(name);

  const presetValue = value('--preset');
  const preset = presetValue === undefined ? DEFAULT_PRESET : parseChoice('--preset', presetValue, PRESET_NAMES);
  const config = presetConfig(preset);

  const corpus = value('--corpus');
  if (corpus !== undefined) config.corpus = parseChoice<CorpusName>('--corpus', corpus, CORPORA);
  const tokenizer = value('--tokenizer');
  if (tokenizer !== undefined) config.tokenizer = parseChoice<TokenizerName>('--tokenizer', tokenizer, TOKENIZERS);

  const steps = value('--steps');
  if (steps !== undefined) config.steps = parseInteger('--steps', steps, 1);
  const seed = value('--seed');
  if (seed !== undefined) config.seed = parseInteger('--seed', seed, 0, MAX_SEED);
  const evalEvery = value('--eval-every');
  if (evalEvery !== undefined) config.evalEvery = parseInteger('--eval-every', evalEvery, 0);
  const evalWindows = value('--eval-windows');
  if (evalWindows !== undefined) config.evalWindowsPerGenre = parseInteger('--eval-windows', evalWindows, 1);
  const lr = value('--lr');
  if (lr !== undefined) config.optimizer.lr = parseLearningRate(lr);
  const batchSize = value('--batch-size');
  if (batchSize !== undefined) config.batchSize = parseInteger('--batch-size', batchSize, 1);

  // A longer sequence than the preset's context needs more position-embedding rows, so
  // blockSize grows with it. A shorter one leaves the model as the preset defines it.
  const seqLen = value('--seq-len');
  if (seqLen !== undefined) {
    config.seqLen = parseInteger('--seq-len', seqLen, 1);
    config.model.blockSize = Math.max(config.model.blockSize, config.seqLen);
  }

  const strategyList = value('--strategy');
  const strategies = strategyList === undefined ? [...DEFAULT_STRATEGIES] : parseStrategies(strategyList);
  const alphaValue = value('--alpha');
  const alpha = alphaValue === undefined ? DEFAULT_ALPHA : parseAlpha(alphaValue);
  const runs: RunSpec[] = strategies.map((strategy) => ({ strategy, alpha }));

  // Ada-ESLM bounds.
  const alphaMin = value('--alpha-min');
  const alphaMax = value('--alpha-max');
  const min = alphaMin === undefined ? undefined : parseUnitInterval('--alpha-min', alphaMin, false);
  const max = alphaMax === undefined ? undefined : parseUnitInterval('--alpha-max', alphaMax, false);
  if (min !== undefined && max !== undefined && max < min) throw invalidValue('--alpha-max', alphaMax!);

  // Frozen model for Rho-1 and distillation.
  const checkpoint = value('--checkpoint');
  const needsCheckpoint = strategies.filter((s) => STRATEGIES_WITH_CHECKPOINT.includes(s));
  if (needsCheckpoint.length > 0 && checkpoint === undefined) {
    throw new UsageError(`--strategy ${needsCheckpoint.join(',')} needs --checkpoint FILE, a model saved with --save-checkpoints`);
  }
  const kdLambda = value('--kd-lambda');
  const kdTemperature = value('--kd-temperature');
  const lambda = kdLambda === undefined ? undefined : parseUnitInterval('--kd-lambda', kdLambda, true);
  const temperature = kdTemperature === undefined ? undefined : parsePositive('--kd-temperature', kdTemperature);

  const sequenceAlpha = value('--sequence-alpha');
  const seqAlpha = sequenceAlpha === undefined ? undefined : parseUnitInterval('--sequence-alpha', sequenceAlpha, false);
  const exitLayersValue = value('--exit-layers');
  const layers = config.model.nLayer;
  if (exitLayersValue !== undefined && !/^[0-9]+$/.test(exitLayersValue)) throw invalidValue('--exit-layers', exitLayersValue);
  const exitLayers = exitLayersValue === undefined ? undefined : Number(exitLayersValue);
  if (exitLayers !== undefined && (exitLayers < 1 || exitLayers > layers)) {
    throw invalidValue('--exit-layers', exitLayersValue!, `the ${preset} model has ${layers} layers`);
  }
  const microBatches = value('--micro-batches');
  if (microBatches !== undefined) {
    const count = parseInteger('--micro-batches', microBatches, 1);
    if (config.batchSize % count !== 0) throw invalidValue('--micro-batches', microBatches, `batch size ${config.batchSize} is not divisible by it`);
    config.microBatches = count;
    const unsupported = strategies.filter((strategy) => !MICRO_BATCH_STRATEGIES.includes(strategy));
    if (count > 1 && unsupported.length > 0) {
      throw new UsageError(`--micro-batches ${count} is not supported for ${unsupported.join(', ')}; it works with ${MICRO_BATCH_STRATEGIES.join(', ')}`);
    }
  }

  for (const run of runs) {
    if (run.strategy === 'hierarchical') {
      if (seqAlpha !== undefined) run.sequenceAlpha = seqAlpha;
      if (exitLayers !== undefined) run.exitLayers = exitLayers;
    }
    if (run.strategy === 'ada-eslm') {
      if (min !== undefined) run.alphaMin = min;
      if (max !== undefined) run.alphaMax = max;
    }
    if (STRATEGIES_WITH_CHECKPOINT.includes(run.strategy)) run.checkpoint = REFERENCE_CHECKPOINT;
    if (run.strategy === 'eslm-kd') {
      if (lambda !== undefined) run.kdLambda = lambda;
      if (temperature !== undefined) run.kdTemperature = temperature;
    }
  }

  return {
    config, runs, out: value('--out') ?? DEFAULT_OUT, preset,
    checkpointFiles: checkpoint === undefined ? {} : { [REFERENCE_CHECKPOINT]: checkpoint },
    ...(value('--save-checkpoints') !== undefined ? { saveCheckpoints: value('--save-checkpoints') } : {}),
  };
}
