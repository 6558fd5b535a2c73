// GPT-2 model configuration and the shape vocabulary used across the project.
//
// Shape names: B batch, T positions, C channels, V vocabulary, L layers, NH heads,
// HS head size (C / NH), M = B·T target tokens in a batch, k kept tokens.

export interface GPT2Config {
  /** L: transformer blocks. */
  nLayer: number;
  /** NH: attention heads. C must be divisible by NH. */
  nHead: number;
  /** C: channels (embedding width). */
  nEmbd: number;
  /** Maximum sequence length: rows of the position embedding. */
  blockSize: number;
  /** V: vocabulary size. */
  vocabSize: number;
}

/** LayerNorm epsilon, as GPT-2 (and llm.c) use. */
export const LAYERNORM_EPS = 1e-5;

export function validateConfig(config: GPT2Config): void {
  const fields: (keyof GPT2Config)[] = ['nLayer', 'nHead', 'nEmbd', 'blockSize', 'vocabSize'];
  for (const field of fields) {
    const value = config[field];
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`invalid model config: ${field} must be a positive integer, got ${value}`);
    }
  }
  if (config.nEmbd % config.nHead !== 0) {
    throw new Error(
      `invalid model config: nEmbd (${config.nEmbd}) must be divisible by nHead (${config.nHead})`,
    );
  }
}
