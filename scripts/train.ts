// `npm run train -- [options]`: trains with the app's own WebGPU engine inside headless
// Chromium and writes the experiment report as JSON. A Vite dev server on 127.0.0.1
// serves runner.html, Playwright drives it, and progress lines stream to stderr.
// Exit status: 0 on success (also when a run stopped early, which the report records),
// 1 on any failure, 2 on invalid options.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { RunnerRequest, RunnerResponse } from '../src/runner/main.ts';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { checkpointSummary, loadCheckpoint } from '../src/train/checkpoint.ts';
import type { ExperimentReport, RunReport } from '../src/train/types.ts';
import { chromiumExecutable, WEBGPU_CHROMIUM_ARGS } from './chromium.ts';
import { prepareBrownCorpus } from './prepare-corpus.ts';
import { prepareNlpCorpus } from './prepare-nlp-corpus.ts';
import { isHelpRequest, parseTrainOptions, TRAIN_USAGE, UsageError, type TrainOptions } from './train-options.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Milliseconds allowed for the first page load, which includes Vite's dependency pre-bundling. */
const PAGE_LOAD_TIMEOUT_MS = 180_000;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Starts Vite on a free loopback port with the repository's vite.config.ts. File
 * watching and HMR are off so edits made in the tree during a run cannot reload the page.
 */
async function startViteServer(): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    root: REPO_ROOT,
    logLevel: 'warn',
    clearScreen: false,
    // A separate cache keeps this run's pre-bundled dependencies apart from `npm run dev`.
    cacheDir: resolve(REPO_ROOT, 'node_modules/.vite-runner'),
    optimizeDeps: { entries: ['runner.html'] },
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  const address = server.httpServer?.address() as AddressInfo | null;
  if (!address || typeof address === 'string') {
    await server.close();
    throw new Error('the Vite dev server started without a TCP address');
  }
  return { server, url: `http://127.0.0.1:${address.port}/runner.html` };
}

async function runInBrowser(
  browser: Browser, url: string, options: TrainOptions, checkpoints: Record<string, string>,
): Promise<RunnerResponse> {
  const page = await browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') log(`page console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => log(`page error: ${error.stack ?? error.message}`));
  page.on('crash', () => log('page crashed'));
  await page.exposeFunction('eslmProgress', (line: string) => log(line));

  await page.goto(url, { waitUntil: 'load', timeout: PAGE_LOAD_TIMEOUT_MS });
  await page.waitForFunction(() => window.eslmRunner !== undefined, undefined, { timeout: PAGE_LOAD_TIMEOUT_MS });

  const request: RunnerRequest = { config: options.config, runs: options.runs, checkpoints, saveCheckpoints: options.saveCheckpoints !== undefined };
  return page.evaluate((runnerRequest) => window.eslmRunner!.run(runnerRequest), request);
}

/** Resolve a path given on the command line: npm runs scripts from the package root, so relative paths resolve against INIT_CWD, the directory npm was called from. */
function userPath(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

function formatPerplexity(value: number | undefined): string {
  return value === undefined ? 'n/a' : value.toFixed(2);
}

/** Returns one summary line for a run: validation perplexity at both ends and total GFLOPs. */
function summarizeRun(run: RunReport): string {
  const firstEval = run.evals[0];
  const lastEval = run.evals.at(-1);
  const lastStep = run.history.at(-1);
  const executedGflops = (lastStep?.cumulativeExecutedFlops ?? 0) / 1e9;
  const nominalGflops = (lastStep?.cumulativeNominalFlops ?? 0) / 1e9;
  const parts = [
    `summary ${run.strategy} alpha=${run.alpha}`,
    `val perplexity ${formatPerplexity(firstEval?.valPerplexity)} -> ${formatPerplexity(lastEval?.valPerplexity)}`,
    `${executedGflops.toFixed(3)} GFLOP executed, ${nominalGflops.toFixed(3)} GFLOP nominal`,
    `${(100 * run.flopsBreakdown.keptRowShare).toFixed(1)}% of a step runs on kept rows only`,
  ];
  if (run.error) parts.push(`stopped early at step ${run.error.step}: ${run.error.message}`);
  return parts.join(', ');
}

function writeReport(report: ExperimentReport, outPath: string): void {
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(report, null, 2)}\n`);
}

/** A failed run: `setup` when the settings were at fault (exit 2), otherwise a failure during training (exit 1). */
class TrainError extends Error {
  constructor(message: string, readonly setup: boolean) {
    super(message);
  }
}

/**
 * Check the output paths and checkpoint files before any training, so a late failure
 * loses no work. Returns the checkpoint files by name, base64-encoded for the page.
 */
function checkFiles(options: TrainOptions, outPath: string): Record<string, string> {
  if (existsSync(outPath) && statSync(outPath).isDirectory()) {
    throw new TrainError(`invalid --out ${outPath}: it is a folder, give a file path`, true);
  }
  if (options.saveCheckpoints !== undefined) {
    const dir = userPath(options.saveCheckpoints);
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      throw new TrainError(`invalid --save-checkpoints ${dir}: it is a file, give a folder path`, true);
    }
  }
  const checkpoints: Record<string, string> = {};
  for (const [name, path] of Object.entries(options.checkpointFiles)) {
    const resolved = userPath(path);
    let bytes: Buffer;
    try {
      bytes = readFileSync(resolved);
    } catch (error) {
      throw new TrainError(`invalid --checkpoint ${resolved}: ${(error as Error).message}`, true);
    }
    try {
      log(`train: checkpoint ${resolved}: ${checkpointSummary(loadCheckpoint(bytes))}`);
    } catch (error) {
      throw new TrainError(`invalid --checkpoint ${resolved}: ${(error as Error).message}`, true);
    }
    checkpoints[name] = bytes.toString('base64');
  }
  if (Object.keys(options.checkpointFiles).length > 0 && !options.runs.some((run) => run.checkpoint)) {
    log('train: warning: --checkpoint is ignored, no strategy in --strategy uses one (rho1, eslm-kd)');
  }
  return checkpoints;
}

async function train(options: TrainOptions): Promise<void> {
  const outPath = userPath(options.out);
  const checkpointFiles = checkFiles(options, outPath);
  const strategies = options.runs.map((run) => run.strategy).join(',');
  log(`train: preset ${options.preset}, strategies ${strategies}, alpha ${options.runs[0]?.alpha}, ${options.config.steps} steps, seed ${options.config.seed}`);

  if (options.config.corpus === 'nlp-corpus') {
    log(`train: ${prepareNlpCorpus()}`);
  } else {
    const corpus = prepareBrownCorpus();
    log(`train: brown corpus ${corpus.skipped ? 'up to date' : 'prepared'} at ${corpus.outPath}`);
  }

  let server: ViteDevServer | undefined;
  let browser: Browser | undefined;
  const startMs = performance.now();
  try {
    const started = await startViteServer();
    server = started.server;
    log(`train: serving ${started.url}`);

    browser = await chromium.launch({ executablePath: chromiumExecutable(), args: WEBGPU_CHROMIUM_ARGS, headless: true });
    const { report, checkpoints, error } = await runInBrowser(browser, started.url, options, checkpointFiles);
    if (error || !report) {
      if (error?.stack && process.env.ESLM_DEBUG) log(error.stack);
      throw new TrainError(error?.message ?? 'the page returned no report', error?.setup ?? false);
    }

    writeReport(report, outPath);
    if (options.saveCheckpoints !== undefined && checkpoints) {
      const dir = userPath(options.saveCheckpoints);
      mkdirSync(dir, { recursive: true });
      for (const [name, text] of Object.entries(checkpoints)) {
        const file = join(dir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.safetensors`);
        writeFileSync(file, Buffer.from(text, 'base64'));
        log(`train: saved checkpoint ${file}`);
      }
    }
    const seconds = (performance.now() - startMs) / 1000;
    const runCount = `${report.runs.length} run${report.runs.length === 1 ? '' : 's'}`;
    log(`train: wrote ${outPath} (${runCount}, adapter ${report.adapter.architecture || report.adapter.description || 'unknown'}, ${seconds.toFixed(1)} s)`);
    for (const run of report.runs) log(summarizeRun(run));
  } finally {
    await browser?.close().catch((error: unknown) => log(`train: failed to close Chromium: ${String(error)}`));
    await server?.close().catch((error: unknown) => log(`train: failed to close the Vite server: ${String(error)}`));
  }
}

async function main(argv: string[]): Promise<number> {
  if (isHelpRequest(argv)) {
    process.stdout.write(TRAIN_USAGE);
    return 0;
  }

  let options: TrainOptions;
  try {
    options = parseTrainOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    log(`error: ${error.message}`);
    return 2;
  }

  try {
    await train(options);
    return 0;
  } catch (error) {
    if (error instanceof TrainError) {
      log(`error: ${error.setup ? '' : 'training failed: '}${error.message}`);
      return error.setup ? 2 : 1;
    }
    let message = String(error);
    if (error instanceof Error) message = process.env.ESLM_DEBUG ? (error.stack ?? error.message) : error.message;
    log(`error: training failed: ${message}`);
    return 1;
  }
}

// process.exit ends the process even if a library left a timer or socket open.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
