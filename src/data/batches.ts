// Training batches (random windows, seeded) and evaluation batches (fixed windows per genre).
import { Rng } from './rng.ts';

export interface BatchShape {
  /** Rows per batch. */
  B: number;
  /** Positions per row. */
  T: number;
}

export interface Batch {
  /** (B,T) row-major token ids. */
  inputs: Int32Array;
  /** (B,T) next-token targets: targets[b,t] = tokens[start_b + t + 1]. */
  targets: Int32Array;
}

function checkShape({ B, T }: BatchShape): void {
  if (!Number.isInteger(B) || B < 1) throw new Error(`invalid batch size B: ${B} (expected a positive integer)`);
  if (!Number.isInteger(T) || T < 1) throw new Error(`invalid sequence length T: ${T} (expected a positive integer)`);
}

// Copies the window tokens[start .. start+T] (T+1 tokens) into row b of inputs and targets.
function writeRow(batch: Batch, b: number, tokens: Int32Array, start: number, T: number): void {
  batch.inputs.set(tokens.subarray(start, start + T), b * T);
  batch.targets.set(tokens.subarray(start + 1, start + T + 1), b * T);
}

/**
 * Draws batches of B windows of T+1 consecutive tokens, each starting at a uniform
 * offset in [0, tokens.length − T − 1]. One seed gives one stream of batches.
 */
export class BatchSampler {
  readonly B: number;
  readonly T: number;
  private readonly tokens: Int32Array;
  private readonly rng: Rng;

  constructor(tokens: Int32Array, options: BatchShape & { seed: number }) {
    checkShape(options);
    if (tokens.length < options.T + 1) {
      throw new Error(`token array too short for T=${options.T}: ${tokens.length} tokens, need at least ${options.T + 1}`);
    }
    this.tokens = tokens;
    this.B = options.B;
    this.T = options.T;
    this.rng = new Rng(options.seed);
  }

  next(): Batch {
    const { B, T } = this;
    const batch: Batch = { inputs: new Int32Array(B * T), targets: new Int32Array(B * T) };
    const startCount = this.tokens.length - T;
    for (let b = 0; b < B; b++) {
      writeRow(batch, b, this.tokens, this.rng.int(startCount), T);
    }
    return batch;
  }
}

export interface EvalBatch extends Batch {
  /** (B) genre code of each row, or '' for a padding row. */
  genres: string[];
  /** (B) 1 for a real window, 0 for a padding row whose losses must be ignored. */
  rowValid: Uint8Array;
}

/**
 * Builds a fixed set of evaluation batches. For a genre with L validation tokens,
 * W = min(windowsPerGenre, L − T) windows of T+1 tokens start at the evenly spaced
 * offsets `floor(i · (L − T − 1) / (W − 1))`, i = 0..W−1 (offset 0 when W = 1), so no
 * offset repeats. When L ≥ W · T + 1 the windows predict disjoint target positions.
 * Genres are taken in ascending order.
 *
 * Rows of all genres are packed in order into batches of B, so a batch may mix genres.
 * Only the last batch can be short: it is filled with zero-token rows marked
 * rowValid = 0 and genre ''. Callers average losses over valid rows per genre.
 */
export function evalBatches(valByGenre: Record<string, Int32Array>, options: BatchShape & { windowsPerGenre: number }): EvalBatch[] {
  checkShape(options);
  const { B, T, windowsPerGenre } = options;
  if (!Number.isInteger(windowsPerGenre) || windowsPerGenre < 1) {
    throw new Error(`invalid windowsPerGenre: ${windowsPerGenre} (expected a positive integer)`);
  }

  const rows: { genre: string; tokens: Int32Array; start: number }[] = [];
  for (const genre of Object.keys(valByGenre).sort()) {
    const tokens = valByGenre[genre]!;
    const maxStart = tokens.length - T - 1;
    if (maxStart < 0) {
      throw new Error(`validation tokens of genre "${genre}" too short for T=${T}: ${tokens.length} tokens, need at least ${T + 1}`);
    }
    const windows = Math.min(windowsPerGenre, maxStart + 1);
    for (let i = 0; i < windows; i++) {
      const start = windows === 1 ? 0 : Math.floor((i * maxStart) / (windows - 1));
      rows.push({ genre, tokens, start });
    }
  }

  const batches: EvalBatch[] = [];
  for (let first = 0; first < rows.length; first += B) {
    const batch: EvalBatch = {
      inputs: new Int32Array(B * T),
      targets: new Int32Array(B * T),
      genres: new Array<string>(B).fill(''),
      rowValid: new Uint8Array(B),
    };
    for (let b = 0; b < B && first + b < rows.length; b++) {
      const row = rows[first + b]!;
      writeRow(batch, b, row.tokens, row.start, T);
      batch.genres[b] = row.genre;
      batch.rowValid[b] = 1;
    }
    batches.push(batch);
  }
  return batches;
}
