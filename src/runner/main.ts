// Entry of runner.html, the page that scripts/train.ts opens in headless Chromium. It
// exposes the app's training engine as window.eslmRunner and forwards progress lines to
// window.eslmProgress, which the Node side binds with page.exposeFunction.
import { WebGpuUnavailableError } from '../gpu/device.ts';
import { PairedExperiment } from '../train/experiment.ts';
import type { ExperimentConfig, ExperimentReport, RunSpec } from '../train/types.ts';
import { base64ToBytes, bytesToBase64 } from './base64.ts';

export interface RunnerRequest {
  config: ExperimentConfig;
  runs: RunSpec[];
  /** Checkpoint files by name (base64), for the runs' `checkpoint` field. */
  checkpoints?: Record<string, string>;
  /** Return every run's final checkpoint. */
  saveCheckpoints?: boolean;
}

export interface RunnerResponse {
  report?: ExperimentReport;
  /** Final checkpoints by run name (base64), when requested. */
  checkpoints?: Record<string, string>;
  /**
   * Set when the experiment failed. `setup` is true when it failed before training
   * started because of its settings (limits, data too short, checkpoint mismatch).
   */
  error?: { message: string; setup: boolean; stack?: string };
}

export interface EslmRunner {
  /** Trains every run to the end and resolves with the report, or with the error that stopped it. */
  run(request: RunnerRequest): Promise<RunnerResponse>;
}

declare global {
  interface Window {
    eslmRunner?: EslmRunner;
    /** Progress sink bound by the Node driver; absent when the page is opened by hand. */
    eslmProgress?: (line: string) => void | Promise<void>;
  }
}

function sendProgress(line: string): void {
  if (window.eslmProgress) void window.eslmProgress(line);
  else console.log(line);
}

function failure(error: unknown, setup: boolean): RunnerResponse {
  const message = error instanceof Error ? error.message : String(error);
  return { error: { message, setup, stack: error instanceof Error ? error.stack : undefined } };
}

async function run(request: RunnerRequest): Promise<RunnerResponse> {
  const checkpoints = Object.fromEntries(Object.entries(request.checkpoints ?? {}).map(([name, text]) => [name, base64ToBytes(text)]));
  let experiment: PairedExperiment;
  try {
    experiment = await PairedExperiment.create(request.config, request.runs, { onLog: sendProgress }, { checkpoints });
  } catch (error) {
    // A browser without WebGPU is not a problem of the settings.
    return failure(error, !(error instanceof WebGpuUnavailableError));
  }
  try {
    await experiment.evaluateAll();
    while (!experiment.finished) await experiment.trainStep();
    await experiment.flush();
    for (const r of experiment.runs) if (r.error) sendProgress(`${r.name}: stopped, ${r.error.message}`);
    const response: RunnerResponse = { report: experiment.report() };
    if (request.saveCheckpoints) {
      const files = await experiment.saveCheckpoints();
      response.checkpoints = Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, bytesToBase64(bytes)]));
    }
    return response;
  } catch (error) {
    return failure(error, false);
  } finally {
    experiment.destroy();
  }
}

window.eslmRunner = { run };
