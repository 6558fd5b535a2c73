// Benchmark: what ESLM's selection saves in executed FLOPs and in step time, against
// CLM in the same run (paired runs alternate on one device, so the ratio carries over
// between machines even where absolute times do not). Runs the real runner twice: a GPT-2 BPE
// model, whose LM head dominates, and the character model.
//
// Usage: npx tsx scripts/bench-selection.ts [--alpha 0.6] [--steps 12]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExperimentReport, RunReport } from '../src/train/types.ts';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}

const alpha = option('--alpha', '0.6');
const steps = option('--steps', '12');
const outDir = mkdtempSync(join(tmpdir(), 'eslm-bench-'));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function train(label: string, tokenizer: string): ExperimentReport {
  const out = join(outDir, `${label}.json`);
  const args = [
    'scripts/train.ts', '--preset', 'tiny', '--tokenizer', tokenizer, '--strategy', 'clm,eslm-loss', '--alpha', alpha,
    '--steps', steps, '--eval-every', '0', '--eval-windows', '1', '--out', out,
  ];
  const result = spawnSync(process.execPath, [join('node_modules', 'tsx', 'dist', 'cli.mjs'), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`runner failed for ${label} with exit code ${result.status}`);
  return JSON.parse(readFileSync(out, 'utf8')) as ExperimentReport;
}

/** Median step time over the steps after the first two (pipeline compilation and warm-up). */
function stepMs(run: RunReport): number {
  return median(run.history.slice(2).map((r) => r.ms));
}

function row(label: string, report: ExperimentReport): string {
  const [clm, eslm] = report.runs;
  // Executed FLOPs vary by step (positions after a sequence's last kept token are skipped): their mean.
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const executed = (run: RunReport) => mean(run.history.map((r) => r.executedFlops)) / 1e9;
  const nominal = (run: RunReport) => mean(run.history.map((r) => r.nominalFlops)) / 1e9;
  const cells = [
    label,
    `${report.model.vocabSize}`,
    `${executed(clm).toFixed(4)}`,
    `${executed(eslm).toFixed(4)}`,
    `${(executed(eslm) / executed(clm)).toFixed(3)}`,
    `${(nominal(eslm) / nominal(clm)).toFixed(3)}`,
    `${stepMs(clm).toFixed(1)}`,
    `${stepMs(eslm).toFixed(1)}`,
    `${(stepMs(eslm) / stepMs(clm)).toFixed(3)}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

const bpe = train('gpt2', 'gpt2');
const char = train('char', 'char');
console.log(`adapter: ${bpe.adapter.vendor} ${bpe.adapter.architecture} ${bpe.adapter.description}${bpe.adapter.isFallbackAdapter ? ' (fallback)' : ''}`);
console.log(`tiny preset (L=2, C=64, B=4, T=32), ESLM-loss at alpha ${alpha} against CLM, ${steps} steps, median step time over steps 2..${Number(steps) - 1}`);
console.log('| model | V | CLM GFLOP/step executed (mean) | ESLM GFLOP/step executed (mean) | executed ratio | nominal ratio | CLM ms/step | ESLM ms/step | time ratio |');
console.log('|---|---|---|---|---|---|---|---|---|');
console.log(row('GPT-2 BPE', bpe));
console.log(row('characters', char));
