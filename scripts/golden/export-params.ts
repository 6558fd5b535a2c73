// Writes the input of make_gpt2_fixture.py: a tiny GPT-2 config, its parameters in
// our flat layout (src/model/layout.ts, padding included), one batch of tokens and
// two selection cases (an ESLM mask keeping 9 of 14 tokens, and plain CLM).
// Usage: npx tsx scripts/golden/export-params.ts OUTPUT.json
import { writeFileSync } from 'node:fs';
import { Rng } from '../../src/data/rng.ts';
import type { GPT2Config } from '../../src/model/config.ts';
import { initParameters } from '../../src/model/init.ts';
import { dataRanges, parameterLayout } from '../../src/model/layout.ts';

const CONFIG: GPT2Config = { nLayer: 2, nHead: 2, nEmbd: 16, blockSize: 8, vocabSize: 23 };
// T < blockSize on purpose, so the last rows of wpe are unused and must get zero gradient.
const B = 2;
const T = 7;
const SEED = 5;
const NOISE_STD = 0.05;
// Parameters are rounded to this many significant digits before they are written, so
// the JSON decimals are exactly the float64 values that both torch and our reference read.
const PARAM_DIGITS = 12;

// Keeps 9 of the 14 tokens: the first position of row 1 is dropped, the last of both rows kept.
const ESLM_MASK = [1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1];

/** Returns GPT-2 initialisation plus N(0, NOISE_STD²) on every real element, so LayerNorm gains are not 1 and biases not 0. */
function perturbedParameters(config: GPT2Config, seed: number): number[] {
  const params = Float64Array.from(initParameters(config, seed));
  const rng = new Rng(seed + 1);
  for (const slot of parameterLayout(config).ordered) {
    for (const [start, end] of dataRanges(slot)) {
      for (let i = start; i < end; i++) params[i] += NOISE_STD * rng.normal();
    }
  }
  return Array.from(params, (value) => Number(value.toPrecision(PARAM_DIGITS)));
}

/** Returns inputs and next-token targets (both (B,T)) cut from B seeded streams of T+1 tokens. */
function tokenBatch(seed: number): { inputs: number[]; targets: number[] } {
  const rng = new Rng(seed);
  const inputs: number[] = [];
  const targets: number[] = [];
  for (let b = 0; b < B; b++) {
    const stream = Array.from({ length: T + 1 }, () => rng.int(CONFIG.vocabSize));
    inputs.push(...stream.slice(0, T));
    targets.push(...stream.slice(1));
  }
  return { inputs, targets };
}

function main(): void {
  const outPath = process.argv[2];
  if (!outPath) throw new Error('missing output path: usage is npx tsx scripts/golden/export-params.ts OUTPUT.json');

  const M = B * T;
  const keptCount = ESLM_MASK.reduce((sum, m) => sum + m, 0);
  if (ESLM_MASK.length !== M || keptCount !== 9) {
    throw new Error(`invalid ESLM_MASK: expected ${M} entries with 9 ones, got ${ESLM_MASK.length} with ${keptCount}`);
  }

  const input = {
    config: CONFIG,
    B,
    T,
    seed: SEED,
    params: perturbedParameters(CONFIG, SEED),
    ...tokenBatch(SEED + 2),
    cases: [
      { name: 'eslm-mask', mask: ESLM_MASK, k: keptCount },
      { name: 'clm', mask: new Array<number>(M).fill(1), k: M },
    ],
  };
  writeFileSync(outPath, `${JSON.stringify(input)}\n`);
  console.log(`wrote ${outPath}: ${input.params.length} parameters (padding included), B=${B}, T=${T}`);
}

main();
