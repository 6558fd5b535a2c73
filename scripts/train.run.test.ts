// End-to-end checks of `npm run train`: each test runs the real runner (Vite, headless
// Chromium, WebGPU) on the Brown corpus and reads the JSON report it writes.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { keptCount } from '../src/reference/select.ts';
import type { ExperimentReport } from '../src/train/types.ts';

const TSX_CLI = join(process.cwd(), 'node_modules', 'tsx', 'dist', 'cli.mjs');
const outDir = mkdtempSync(join(tmpdir(), 'eslm-train-'));

interface RunResult {
  code: number | null;
  stderr: string;
}

function runTrain(args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX_CLI, 'scripts/train.ts', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

async function trainReport(name: string, args: string[]): Promise<ExperimentReport> {
  const out = join(outDir, `${name}.json`);
  const result = await runTrain([...args, '--out', out]);
  if (result.code !== 0) throw new Error(`npm run train exited ${result.code}:\n${result.stderr.slice(-3000)}`);
  return JSON.parse(readFileSync(out, 'utf8')) as ExperimentReport;
}

/** Return the report without the fields that measure time. */
function withoutTimings(report: ExperimentReport): unknown {
  return {
    ...report,
    createdAt: undefined,
    runs: report.runs.map((run) => ({ ...run, history: run.history.map((r) => ({ ...r, ms: undefined, elapsedMs: undefined })) })),
  };
}

// Each test starts Vite and Chromium and trains on a software adapter: minutes, not seconds.
describe('npm run train', { timeout: 300_000 }, () => {
  test('tiny preset: perplexity falls and kept counts are exact', async () => {
    const report = await trainReport('tiny150', [
      '--preset', 'tiny', '--strategy', 'clm,eslm-loss', '--alpha', '0.5', '--steps', '150', '--seed', '1', '--eval-every', '50',
    ]);
    expect(report.adapter.architecture).toBeTypeOf('string');
    expect(report.runs.map((r) => r.strategy)).toEqual(['clm', 'eslm-loss']);
    for (const run of report.runs) {
      expect(run.error).toBeUndefined();
      expect(run.history).toHaveLength(150);
      const first = run.evals[0];
      const last = run.evals[run.evals.length - 1];
      expect(first.step).toBe(0);
      expect(last.step).toBe(150);
      // "Well below": at least a factor of two on a character model that starts near V.
      expect(last.valPerplexity).toBeLessThan(first.valPerplexity / 2);
      expect(Object.keys(last.perGenrePerplexity)).toHaveLength(15);
      for (const record of run.history) {
        const expected = run.strategy === 'clm' ? record.totalTokens : keptCount(0.5, record.totalTokens);
        expect(record.keptTokens).toBe(expected);
        expect(record.keptTokens).toBe(run.strategy === 'clm' ? record.totalTokens : Math.ceil(0.5 * record.totalTokens));
      }
    }
  });

  test('alpha 0 gives identical clm and eslm-loss train losses', async () => {
    const report = await trainReport('alpha0', ['--preset', 'tiny', '--strategy', 'clm,eslm-loss', '--alpha', '0', '--steps', '30', '--eval-every', '0']);
    const [clm, eslm] = report.runs;
    expect(clm.history).toHaveLength(30);
    expect(eslm.history.map((r) => r.trainLoss)).toEqual(clm.history.map((r) => r.trainLoss));
  });

  test('gpt2 tokenizer trains with the full vocabulary', async () => {
    const report = await trainReport('gpt2', [
      '--preset', 'tiny', '--tokenizer', 'gpt2', '--strategy', 'clm', '--steps', '2', '--eval-every', '0', '--eval-windows', '1',
    ]);
    expect(report.model.vocabSize).toBe(50257);
    const [run] = report.runs;
    expect(run.history).toHaveLength(2);
    expect(Math.abs(run.history[0].trainLoss - Math.log(50257))).toBeLessThan(0.1);
  });

  test('same seed gives identical reports apart from timings', async () => {
    const args = ['--preset', 'tiny', '--strategy', 'clm,eslm-entropy', '--alpha', '0.3', '--steps', '20', '--seed', '3', '--eval-every', '10'];
    const first = await trainReport('seed-a', args);
    const second = await trainReport('seed-b', args);
    expect(withoutTimings(second)).toEqual(withoutTimings(first));
  });

  test('every strategy runs as paired runs with a saved reference', async () => {
    const saveDir = join(outDir, 'ckpt');
    await trainReport('reference', ['--preset', 'tiny', '--strategy', 'clm', '--steps', '5', '--eval-every', '0', '--eval-windows', '1', '--save-checkpoints', saveDir]);
    const checkpoint = join(saveDir, 'clm.safetensors');
    expect(readFileSync(checkpoint).length).toBeGreaterThan(100_000);

    const report = await trainReport('all', [
      '--preset', 'tiny', '--strategy', 'clm,eslm-loss,eslm-entropy,ada-eslm,random,rho1,eslm-kd,hierarchical', '--alpha', '0.5',
      '--steps', '10', '--eval-every', '0', '--eval-windows', '1', '--checkpoint', checkpoint,
    ]);
    expect(report.runs.map((r) => r.strategy)).toEqual(['clm', 'eslm-loss', 'eslm-entropy', 'ada-eslm', 'random', 'rho1', 'eslm-kd', 'hierarchical']);
    for (const run of report.runs) {
      expect(run.error).toBeUndefined();
      expect(run.history).toHaveLength(10);
    }
  });

  test('settings the device or data cannot hold exit 2 with one line', async () => {
    const cases = [
      { args: ['--seq-len', '8192', '--steps', '1', '--strategy', 'clm'], expected: 'maxStorageBufferBindingSize' },
      { args: ['--seq-len', '100000', '--steps', '1', '--strategy', 'clm'], expected: 'lower the batch size or the sequence length' },
      { args: ['--checkpoint', 'package.json', '--strategy', 'rho1', '--steps', '1'], expected: 'invalid --checkpoint' },
    ];
    for (const { args, expected } of cases) {
      const result = await runTrain([...args, '--out', join(outDir, 'never.json')]);
      const errors = result.stderr.trim().split('\n').filter((line) => line.startsWith('error:'));
      expect(result.code, result.stderr.slice(-800)).toBe(2);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(expected);
    }
  });

  test('bad option exits 2 with one line', async () => {
    const result = await runTrain(['--strategy', 'bogus']);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('--strategy');
    expect(lines[0]).toContain('clm, eslm-loss, eslm-entropy');
  });
});
