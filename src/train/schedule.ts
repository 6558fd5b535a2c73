// Learning-rate schedule: linear warmup from 0, then constant or cosine decay to
// lr·minLrRatio at the last step.

import type { OptimizerConfig } from './types.ts';

/** Learning rate for 0-based step `step` of `totalSteps`. */
export function learningRate(optimizer: OptimizerConfig, step: number, totalSteps: number): number {
  const { lr, warmupSteps, schedule, minLrRatio } = optimizer;
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  if (schedule === 'constant') return lr;
  const decaySteps = Math.max(1, totalSteps - warmupSteps - 1);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  const minLr = lr * minLrRatio;
  return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
}
