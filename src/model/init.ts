// Seeded GPT-2 initialisation, shared by the GPU model and the CPU reference so both
// start from the same numbers.

import type { GPT2Config } from './config.ts';
import { dataRanges, parameterLayout } from './layout.ts';
import { Rng } from '../data/rng.ts';

/**
 * Fill a flat parameter array (padding left at zero): weights ~ N(0, 0.02²), residual
 * output projections (attprojw, fcprojw) ~ N(0, (0.02/√(2L))²), biases 0, LayerNorm
 * gains 1. These are GPT-2's initialisation as nanoGPT writes it.
 */
export function initParameters(config: GPT2Config, seed: number): Float32Array {
  const layout = parameterLayout(config);
  const params = new Float32Array(layout.total);
  const rng = new Rng(seed);
  const residualStd = 0.02 / Math.sqrt(2 * config.nLayer);
  for (const slot of layout.ordered) {
    const name = slot.spec.name;
    for (const [start, end] of dataRanges(slot)) {
      if (name === 'ln1w' || name === 'ln2w' || name === 'lnfw') {
        params.fill(1, start, end);
      } else if (slot.spec.decay) {
        const std = name === 'attprojw' || name === 'fcprojw' ? residualStd : 0.02;
        for (let i = start; i < end; i++) params[i] = rng.normal() * std;
      }
    }
  }
  return params;
}
