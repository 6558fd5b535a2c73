// Entry of runner.html, the page that scripts/train.ts opens in headless Chromium. It
// exposes the app's training engine as window.eslmRunner and forwards progress lines to
// window.eslmProgress, which the Node side binds with page.exposeFunction.
import { runExperiment } from '../train/experiment.ts';
import type { ExperimentConfig, ExperimentReport, RunSpec } from '../train/types.ts';

export interface RunnerRequest {
  config: ExperimentConfig;
  runs: RunSpec[];
}

export interface EslmRunner {
  /** Trains every run in order and resolves with the report. Rejects when the experiment fails. */
  run(request: RunnerRequest): Promise<ExperimentReport>;
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

window.eslmRunner = {
  run: (request) => runExperiment(request.config, request.runs, { onLog: sendProgress }),
};
