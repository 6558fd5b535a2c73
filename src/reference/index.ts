// Float64 CPU reference of every GPT-2 op and of a whole training step: the oracle
// that the WGSL kernels are tested against.

export * from './ops.ts';
export * from './attention.ts';
export * from './crossentropy.ts';
export * from './select.ts';
export * from './optim.ts';
export * from './gpt2.ts';
export * from './gpt2Train.ts';
export * from './distill.ts';
export * from './rows.ts';
