// Ada-ESLM's selection-level controller. The published update rule is not available to
// us, so this is the ESLM Playground's own rule, bounded, smooth and deterministic:
//
//   cv     = mean over the last window of (standard deviation / mean) of the batch's
//            token losses (their coefficient of variation)
//   target = α_min + (α_max − α_min) · clamp((cv − cvLow) / (cvHigh − cvLow), 0, 1)
//   α     ← α + rate · (target − α)
//
// When token losses are spread out, a few tokens carry most of the loss and a higher α
// focuses the step on them; when losses are even, selection has little to choose from
// and a lower α keeps more tokens. α starts at the run's α clamped into the bounds and
// changes once per window of steps, from records already read back, so a seed gives
// the same α sequence on every machine.

export interface AdaOptions {
  alphaMin: number;
  alphaMax: number;
  /** Fraction of the gap to the target closed per update, in (0, 1]. */
  rate: number;
  /** Coefficient of variation at or below which the target is α_min. */
  cvLow: number;
  /** Coefficient of variation at or above which the target is α_max. */
  cvHigh: number;
}

export const DEFAULT_ADA_OPTIONS: AdaOptions = { alphaMin: 0.2, alphaMax: 0.8, rate: 0.3, cvLow: 0.4, cvHigh: 1.0 };

export function validateAdaOptions(options: AdaOptions): void {
  const { alphaMin, alphaMax, rate, cvLow, cvHigh } = options;
  if (!(alphaMin >= 0 && alphaMin <= alphaMax && alphaMax < 1)) {
    throw new Error(`invalid Ada-ESLM bounds [${alphaMin}, ${alphaMax}]: expected 0 ≤ alphaMin ≤ alphaMax < 1`);
  }
  if (!(rate > 0 && rate <= 1)) throw new Error(`invalid Ada-ESLM rate ${rate}: expected a value in (0, 1]`);
  if (!(cvLow >= 0 && cvHigh > cvLow)) throw new Error(`invalid Ada-ESLM cv range [${cvLow}, ${cvHigh}]: expected 0 ≤ cvLow < cvHigh`);
}

export class AdaController {
  alpha: number;

  constructor(initialAlpha: number, readonly options: AdaOptions = DEFAULT_ADA_OPTIONS) {
    validateAdaOptions(options);
    this.alpha = Math.min(options.alphaMax, Math.max(options.alphaMin, initialAlpha));
  }

  /** Return the target α for a coefficient of variation of the token losses. */
  target(cv: number): number {
    const { alphaMin, alphaMax, cvLow, cvHigh } = this.options;
    const t = Math.min(1, Math.max(0, (cv - cvLow) / (cvHigh - cvLow)));
    return alphaMin + (alphaMax - alphaMin) * t;
  }

  /** Move α toward the target of a window's records (each with its batch's mean and standard deviation of token losses). */
  update(window: readonly { trainLoss: number; lossStd: number }[]): number {
    const ratios = window.filter((r) => r.trainLoss > 0 && Number.isFinite(r.lossStd)).map((r) => r.lossStd / r.trainLoss);
    if (ratios.length === 0) return this.alpha;
    const cv = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    const next = this.alpha + this.options.rate * (this.target(cv) - this.alpha);
    this.alpha = Math.min(this.options.alphaMax, Math.max(this.options.alphaMin, next));
    return this.alpha;
  }
}
