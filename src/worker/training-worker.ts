// The training worker: owns the GPUDevice and one PairedExperiment, trains it step by
// step while the page stays free, and handles the page's commands between steps.
/// <reference lib="webworker" />

import type { BrownDocument } from '../data/brown.ts';
import { benchmarkMatmul } from '../gpu/benchmark.ts';
import { acquireDevice, WebGpuUnavailableError, type GpuContext } from '../gpu/device.ts';
import { PairedExperiment, type BatchInspection } from '../train/experiment.ts';
import type { StepRecord } from '../train/types.ts';
import { checkCheckpointFile } from './checkpoint-check.ts';
import { loadCorpus, prefetchDefaultCorpus } from './corpus.ts';
import type { LimitTable, TokenInspection, WorkerCommand, WorkerEvent } from './protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;

function post(event: WorkerEvent, transfer: Transferable[] = []): void {
  scope.postMessage(event, transfer);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Limits shown in the device panel, read by name because GPUSupportedLimits has no own enumerable keys. */
const SHOWN_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage', 'maxUniformBufferBindingSize',
] as const;

// ---- Device -------------------------------------------------------------------------

let gpu: GpuContext | undefined;
let acquiring: Promise<GpuContext> | undefined;

function limitTable(limits: GPUSupportedLimits): LimitTable {
  const table: LimitTable = {};
  for (const name of SHOWN_LIMITS) table[name] = limits[name];
  return table;
}

/** Returns the worker's device, acquiring it on first use and again after a loss. */
function ensureDevice(): Promise<GpuContext> {
  if (gpu) return Promise.resolve(gpu);
  acquiring ??= acquireDevice({
    label: 'playground.device',
    onLost: (info) => {
      gpu = undefined;
      stopSession();
      post({ type: 'device-lost', reason: info.reason, message: info.message });
    },
    onError: (error) => {
      stopSession();
      post({ type: 'error', message: `WebGPU error, training stopped: ${error.message}` });
    },
  }).then((context) => {
    gpu = context;
    post({ type: 'device', adapter: context.adapter, limits: limitTable(context.limits) });
    return context;
  }).finally(() => {
    acquiring = undefined;
  });
  return acquiring;
}

async function probe(): Promise<void> {
  // The default corpus loads while the device starts, so Start is quick and works offline.
  prefetchDefaultCorpus().then(
    (documents) => post({ type: 'corpus-cached', corpus: 'brown', documents }),
    (error: unknown) => post({ type: 'log', line: `loading the Brown corpus in advance failed: ${errorMessage(error)}` }),
  );
  let context: GpuContext;
  try {
    context = await ensureDevice();
  } catch (error) {
    if (error instanceof WebGpuUnavailableError) post({ type: 'webgpu-unavailable', reason: error.message });
    else post({ type: 'webgpu-unavailable', reason: `requesting a WebGPU device failed: ${errorMessage(error)}` });
    return;
  }
  try {
    const result = await exclusive(() => benchmarkMatmul(context.device));
    post({ type: 'benchmark', result });
  } catch (error) {
    post({ type: 'log', line: `matmul benchmark failed: ${errorMessage(error)}` });
  }
}

// ---- GPU work queue -----------------------------------------------------------------

let gpuChain: Promise<unknown> = Promise.resolve();

/** Runs GPU tasks one after another, so a sample or inspection never interleaves with a step. */
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const result = gpuChain.then(task);
  gpuChain = result.catch(() => undefined);
  return result;
}

/** Lets queued messages (pause, sample, …) run between training steps. */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// ---- Session ------------------------------------------------------------------------

interface Session {
  experiment: PairedExperiment;
  inspectEvery: number;
  inspectRun: number;
  state: 'running' | 'paused' | 'stopped' | 'finished';
  loopActive: boolean;
  /** Step records per run not yet sent. */
  pendingSteps: StepRecord[][];
  /** Runs whose early stop was already reported. */
  reportedErrors: Set<number>;
  /** Last inspection read back per run. */
  inspections: (TokenInspection | undefined)[];
}

let session: Session | undefined;
/** Run whose batch the token view shows; kept across experiments. */
let inspectRun = 0;
/** Increments with every start, so a start superseded while preparing drops its result. */
let generation = 0;

function stopSession(): void {
  if (session && session.state !== 'finished') session.state = 'stopped';
}

function sendPendingSteps(s: Session): void {
  s.pendingSteps.forEach((records, runIndex) => {
    if (records.length === 0) return;
    post({ type: 'steps', runIndex, records: records.splice(0) });
  });
  s.experiment.runs.forEach((run, runIndex) => {
    if (run.error && !s.reportedErrors.has(runIndex)) {
      s.reportedErrors.add(runIndex);
      post({ type: 'run-stopped', runIndex, step: run.error.step, message: run.error.message });
    }
  });
}

/** Converts a run's inspected batch into the page's form: decoded tokens, scores and kept mask. */
function toInspection(s: Session, runIndex: number, view: BatchInspection): TokenInspection {
  const scores = view.score === 'entropy' ? view.entropies : view.losses;
  const tokenizer = s.experiment.tokenizer;
  const T = s.experiment.config.seqLen;
  return {
    runIndex,
    step: view.step,
    score: view.score,
    // The run's model rows: fewer than the batch for hierarchical ESLM, which keeps only some sequences.
    B: view.targets.length / T,
    T,
    tokens: Array.from(view.targets, (id) => tokenizer.decode([id])),
    scores: Array.from(scores),
    kept: Array.from(view.mask),
  };
}

/**
 * Reads every run's last training batch in one GPU task, so a sample queued after it
 * cannot overwrite the buffers halfway, and switching runs later shows the same step.
 */
async function captureInspections(s: Session): Promise<void> {
  const views = await exclusive(async () => {
    const read: BatchInspection[] = [];
    for (let i = 0; i < s.experiment.runs.length; i++) read.push(await s.experiment.inspect(i));
    return read;
  });
  s.inspections = views.map((view, i) => toInspection(s, i, view));
}

/**
 * Sends the selected run's last training batch. PairedExperiment.inspect returns it even
 * after an evaluation or a sample reused the models' buffers.
 */
async function sendInspection(s: Session): Promise<void> {
  if (s.experiment.completedSteps === 0) return;
  await captureInspections(s);
  const runIndex = Math.min(s.inspectRun, s.experiment.runs.length - 1);
  const inspection = s.inspections[runIndex];
  if (inspection) post({ type: 'inspection', inspection });
}

async function finish(s: Session, stoppedByUser: boolean): Promise<void> {
  await exclusive(() => s.experiment.flush());
  sendPendingSteps(s);
  await sendInspection(s);
  s.state = 'finished';
  post({ type: 'finished', completedSteps: s.experiment.completedSteps, stoppedByUser });
}

async function trainLoop(s: Session): Promise<void> {
  s.loopActive = true;
  try {
    while (s.state === 'running' && !s.experiment.finished) {
      await exclusive(() => s.experiment.trainStep());
      sendPendingSteps(s);
      if (s.experiment.completedSteps % s.inspectEvery === 0) await sendInspection(s);
      await yieldToEvents();
    }
  } catch (error) {
    s.state = 'stopped';
    post({ type: 'error', message: `training failed at step ${s.experiment.completedSteps}: ${errorMessage(error)}` });
    return;
  } finally {
    s.loopActive = false;
  }
  if (s !== session) return;
  if (s.state === 'paused') {
    await exclusive(() => s.experiment.flush());
    sendPendingSteps(s);
    await sendInspection(s);
    return;
  }
  await finish(s, s.state === 'stopped');
}

/** Maps each genre code to its category name, taken from the genre's first document. */
function genreNames(documents: readonly BrownDocument[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const doc of documents) names[doc.genre] ??= doc.category;
  return names;
}

async function start(command: Extract<WorkerCommand, { type: 'start' }>): Promise<void> {
  const mine = ++generation;
  const previous = session;
  session = undefined;
  if (previous) {
    previous.state = 'stopped';
    await exclusive(async () => previous.experiment.destroy());
  }

  post({ type: 'progress', stage: 'corpus', label: 'Loading the corpus', fraction: 0 });
  const documents = await loadCorpus(command.corpus, (fraction) => {
    post({ type: 'progress', stage: 'corpus', label: 'Loading the corpus', fraction });
  });
  post({ type: 'progress', stage: 'corpus', label: `Loaded ${documents.length} documents`, fraction: 1 });
  if (command.corpus.kind !== 'user') post({ type: 'corpus-cached', corpus: command.corpus.kind, documents: documents.length });
  if (mine !== generation) return;

  const context = await ensureDevice();

  // NOTE: PairedExperiment.create reports no progress of its own, so its log lines mark
  // the stages: the first one follows tokenisation, the rest follow building the runs.
  post({ type: 'progress', stage: 'tokenize', label: `Tokenising ${documents.length} documents (${command.config.tokenizer} tokenizer)`, fraction: null });
  const pendingSteps: StepRecord[][] = command.runs.map(() => []);
  let evaluated = 0;
  const runCount = command.runs.length;
  const { device } = context;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let experiment: PairedExperiment;
  try {
    experiment = await exclusive(() => PairedExperiment.create(command.config, command.runs, {
      onLog: (line) => {
        post({ type: 'log', line });
        if (line.startsWith('corpus ')) {
          post({ type: 'progress', stage: 'tokenize', label: 'Tokenised', fraction: 1 });
          post({ type: 'progress', stage: 'compile', label: 'Building models and compiling shaders', fraction: 0 });
        }
      },
      onStep: (runIndex, record) => pendingSteps[runIndex]!.push(record),
      onEval: (runIndex, record) => {
        post({ type: 'eval', runIndex, record });
        if (record.step === 0) {
          evaluated++;
          post({ type: 'progress', stage: 'compile', label: `First evaluation: ${evaluated} of ${runCount} runs`, fraction: (evaluated + 1) / (runCount + 1) });
        }
      },
    }, { documents, gpu: context, checkpoints: command.checkpoints }));
  } finally {
    const validation = await device.popErrorScope();
    const outOfMemory = await device.popErrorScope();
    const gpuError = validation ?? outOfMemory;
    if (gpuError) throw new Error(`building the models failed on the GPU: ${gpuError.message}`);
  }
  if (mine !== generation) {
    await exclusive(async () => experiment.destroy());
    return;
  }

  const s: Session = {
    experiment,
    inspectEvery: command.inspectEvery,
    inspectRun: Math.min(inspectRun, command.runs.length - 1),
    state: 'running',
    loopActive: false,
    pendingSteps,
    reportedErrors: new Set(),
    inspections: [],
  };
  session = s;
  post({
    type: 'started',
    runNames: experiment.runs.map((run) => run.name),
    parameterCount: experiment.report().parameterCount,
    totalSteps: command.config.steps,
    M: command.config.batchSize * command.config.seqLen,
    genreNames: genreNames(documents),
  });
  post({ type: 'progress', stage: 'compile', label: 'Compiling shaders (first evaluation)', fraction: 1 / (runCount + 1) });
  await exclusive(() => experiment.evaluateAll());
  post({ type: 'progress', stage: 'compile', label: 'Ready', fraction: 1 });
  if (s !== session || s.state !== 'running') return;
  post({ type: 'state', state: 'running' });
  void trainLoop(s);
}

async function saveCheckpoints(s: Session | undefined, requestId: number): Promise<void> {
  if (!s) {
    post({ type: 'checkpoints-error', requestId, message: 'no model to save: start training first' });
    return;
  }
  try {
    // Between steps, like every other GPU task.
    const files = await exclusive(() => s.experiment.saveCheckpoints());
    post({ type: 'checkpoints', requestId, files }, Object.values(files).map((bytes) => bytes.buffer as ArrayBuffer));
  } catch (error) {
    post({ type: 'checkpoints-error', requestId, message: `saving the models failed: ${errorMessage(error)}` });
  }
}

async function checkCheckpoint(command: Extract<WorkerCommand, { type: 'check-checkpoint' }>): Promise<void> {
  let documents: BrownDocument[] | undefined;
  if (command.corpus) {
    try {
      documents = await loadCorpus(command.corpus, () => {});
    } catch (error) {
      // The file is still checked; the vocabulary is compared again when training starts.
      post({ type: 'log', line: `loading the corpus to check "${command.fileName}" failed: ${errorMessage(error)}` });
    }
  }
  const check = checkCheckpointFile(command.bytes, command.fileName, command.tokenizer, documents);
  post({ type: 'checkpoint-checked', id: command.id, context: command.context, check });
}

async function handle(command: WorkerCommand): Promise<void> {
  const s = session;
  switch (command.type) {
    case 'probe':
      return probe();
    case 'start':
      return start(command);
    case 'pause':
      if (s?.state === 'running') {
        s.state = 'paused';
        post({ type: 'state', state: 'paused' });
      }
      return;
    case 'resume':
      if (s?.state === 'paused') {
        s.state = 'running';
        post({ type: 'state', state: 'running' });
        if (!s.loopActive) void trainLoop(s);
      }
      return;
    case 'stop':
      if (s && (s.state === 'running' || s.state === 'paused')) {
        const wasIdle = !s.loopActive;
        s.state = 'stopped';
        if (wasIdle) await finish(s, true);
      }
      return;
    case 'inspect':
      inspectRun = command.runIndex;
      if (!s) return;
      s.inspectRun = command.runIndex;
      return sendInspection(s);
    case 'sample': {
      if (!s) {
        post({ type: 'sample-error', requestId: command.requestId, runIndex: command.runIndex, message: 'no experiment: start training first' });
        return;
      }
      try {
        const text = await exclusive(() => s.experiment.sample(command.runIndex, command.request.prompt, command.request));
        post({ type: 'sample', requestId: command.requestId, runIndex: command.runIndex, text });
      } catch (error) {
        post({ type: 'sample-error', requestId: command.requestId, runIndex: command.runIndex, message: errorMessage(error) });
      }
      return;
    }
    case 'export':
      if (!s) {
        post({ type: 'error', message: 'nothing to export: no experiment has run' });
        return;
      }
      await exclusive(() => s.experiment.flush());
      sendPendingSteps(s);
      post({ type: 'report', report: s.experiment.report() });
      return;
    case 'save-checkpoints':
      return saveCheckpoints(s, command.requestId);
    case 'check-checkpoint':
      return checkCheckpoint(command);
  }
}

scope.addEventListener('message', (event: MessageEvent<WorkerCommand>) => {
  handle(event.data).catch((error: unknown) => {
    post({ type: 'error', message: errorMessage(error) });
  });
});
