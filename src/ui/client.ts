// The page's side of the worker protocol: sends commands and turns events into store
// updates. Step and evaluation records are gathered and written to the store at most
// every FLUSH_INTERVAL_MS, so charts re-render a few times a second at any step rate.

import type { EvalRecord, ExperimentConfig, ExperimentReport, RunSpec, StepRecord } from '../train/types.ts';
import type { CorpusSource, SampleRequest, WorkerCommand, WorkerEvent } from '../worker/protocol.ts';
import type { CheckpointFile } from './config/draft.ts';
import { MAX_LOG_LINES, useAppStore, type RunSeries } from './store.ts';
import { runColor } from './strategies.ts';

const FLUSH_INTERVAL_MS = 250;

export class WorkerClient {
  private readonly worker: Worker;
  private pendingSteps = new Map<number, StepRecord[]>();
  private pendingEvals = new Map<number, EvalRecord[]>();
  private flushTimer?: ReturnType<typeof setTimeout>;
  private nextSampleId = 1;
  private startedConfig?: { config: ExperimentConfig; runs: RunSpec[] };
  private reportWaiters: ((report: ExperimentReport) => void)[] = [];
  private nextCheckpointRequest = 1;
  private checkpointWaiters = new Map<number, { resolve: (files: Record<string, Uint8Array>) => void; reject: (error: Error) => void }>();
  /** Checkpoint file checks sent and awaiting their result, as `<id>|<context>`. */
  private checksInFlight = new Set<string>();

  constructor() {
    this.worker = new Worker(new URL('../worker/training-worker.ts', import.meta.url), { type: 'module', name: 'eslm-training' });
    this.worker.addEventListener('message', (event: MessageEvent<WorkerEvent>) => this.handle(event.data));
    this.worker.addEventListener('error', (event) => {
      useAppStore.setState({ phase: 'error', error: `the training worker failed: ${event.message}` });
    });
  }

  private send(command: WorkerCommand): void {
    this.worker.postMessage(command);
  }

  probe(): void {
    this.send({ type: 'probe' });
  }

  start(config: ExperimentConfig, runs: RunSpec[], corpus: CorpusSource, checkpoints: Record<string, Uint8Array>): void {
    this.flushRecords();
    this.pendingSteps.clear();
    this.pendingEvals.clear();
    this.startedConfig = { config, runs };
    useAppStore.setState({ phase: 'preparing', progress: {}, error: undefined, inspection: undefined, samples: {}, live: [] });
    this.send({ type: 'start', config, runs, corpus, inspectEvery: Math.max(5, config.metricsEvery), checkpoints });
  }

  pause(): void {
    this.send({ type: 'pause' });
  }

  resume(): void {
    this.send({ type: 'resume' });
  }

  stop(): void {
    this.send({ type: 'stop' });
  }

  inspect(runIndex: number): void {
    useAppStore.setState({ inspectRun: runIndex });
    this.send({ type: 'inspect', runIndex });
  }

  sample(runIndex: number, request: SampleRequest): void {
    const requestId = this.nextSampleId++;
    useAppStore.setState((state) => ({ samples: { ...state.samples, [runIndex]: { pending: true } } }));
    this.send({ type: 'sample', requestId, runIndex, request });
  }

  /** Resolves with the live experiment's full report (adapter, config and every record). */
  exportReport(): Promise<ExperimentReport> {
    return new Promise((resolve) => {
      this.reportWaiters.push(resolve);
      this.send({ type: 'export' });
    });
  }

  /** Resolves with each run's current model as safetensors bytes, by run name; rejects with the worker's message. */
  saveCheckpoints(): Promise<Record<string, Uint8Array>> {
    const requestId = this.nextCheckpointRequest++;
    return new Promise((resolve, reject) => {
      this.checkpointWaiters.set(requestId, { resolve, reject });
      this.send({ type: 'save-checkpoints', requestId });
    });
  }

  /**
   * Asks the worker to check a checkpoint file against the set-up `context`; the result
   * arrives in the store. Sends nothing when the same check is already in flight.
   */
  checkCheckpoint(file: CheckpointFile, context: string, tokenizer: string, corpus: CorpusSource | undefined): void {
    const key = `${file.id}|${context}`;
    if (this.checksInFlight.has(key)) return;
    this.checksInFlight.add(key);
    // Sent without transfer, so the page keeps its bytes for the start command.
    this.send({ type: 'check-checkpoint', id: file.id, context, fileName: file.fileName, bytes: file.bytes, tokenizer, corpus });
  }

  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => this.flushRecords(), FLUSH_INTERVAL_MS);
  }

  private flushRecords(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pendingSteps.size === 0 && this.pendingEvals.size === 0) return;
    const steps = this.pendingSteps;
    const evals = this.pendingEvals;
    this.pendingSteps = new Map();
    this.pendingEvals = new Map();
    useAppStore.getState().appendRecords(steps, evals);
  }

  private log(line: string): void {
    useAppStore.setState((state) => ({ logs: state.logs.concat(line).slice(-MAX_LOG_LINES) }));
  }

  private handle(event: WorkerEvent): void {
    switch (event.type) {
      case 'device':
        useAppStore.setState({ deviceStatus: 'ready', adapter: event.adapter, limits: event.limits, deviceMessage: undefined });
        return;
      case 'benchmark':
        useAppStore.setState({ benchmark: event.result });
        return;
      case 'webgpu-unavailable':
        useAppStore.setState({ deviceStatus: 'unavailable', deviceMessage: event.reason });
        return;
      case 'corpus-cached':
        useAppStore.setState((state) => ({ cachedCorpora: { ...state.cachedCorpora, [event.corpus]: event.documents } }));
        return;
      case 'progress':
        useAppStore.setState((state) => ({
          progress: { ...state.progress, [event.stage]: { stage: event.stage, label: event.label, fraction: event.fraction } },
        }));
        return;
      case 'log':
        this.log(event.line);
        return;
      case 'started': {
        const started = this.startedConfig;
        if (!started) return;
        const live: RunSeries[] = event.runNames.map((name, i) => ({
          key: `live:${i}`,
          name,
          strategy: started.runs[i]!.strategy,
          alpha: started.runs[i]!.strategy === 'clm' ? 0 : started.runs[i]!.alpha,
          color: runColor(i),
          group: 'live',
          imported: false,
          config: started.config,
          spec: started.runs[i],
          genreNames: event.genreNames,
          steps: [],
          evals: [],
        }));
        useAppStore.getState().setLive(live, event.M, event.totalSteps, event.parameterCount);
        return;
      }
      case 'steps': {
        const list = this.pendingSteps.get(event.runIndex) ?? [];
        list.push(...event.records);
        this.pendingSteps.set(event.runIndex, list);
        this.scheduleFlush();
        return;
      }
      case 'eval': {
        const list = this.pendingEvals.get(event.runIndex) ?? [];
        list.push(event.record);
        this.pendingEvals.set(event.runIndex, list);
        this.scheduleFlush();
        return;
      }
      case 'run-stopped':
        this.flushRecords();
        useAppStore.getState().markStopped(event.runIndex, event.step, event.message);
        this.log(`run ${event.runIndex} stopped at step ${event.step}: ${event.message}`);
        return;
      case 'state':
        useAppStore.setState({ phase: event.state });
        return;
      case 'inspection':
        useAppStore.setState({ inspection: event.inspection });
        return;
      case 'sample':
        useAppStore.setState((state) => ({ samples: { ...state.samples, [event.runIndex]: { pending: false, text: event.text } } }));
        return;
      case 'sample-error':
        useAppStore.setState((state) => ({ samples: { ...state.samples, [event.runIndex]: { pending: false, error: event.message } } }));
        return;
      case 'report':
        this.flushRecords();
        for (const resolve of this.reportWaiters.splice(0)) resolve(event.report);
        return;
      case 'checkpoints':
        this.checkpointWaiters.get(event.requestId)?.resolve(event.files);
        this.checkpointWaiters.delete(event.requestId);
        return;
      case 'checkpoints-error':
        this.checkpointWaiters.get(event.requestId)?.reject(new Error(event.message));
        this.checkpointWaiters.delete(event.requestId);
        return;
      case 'checkpoint-checked':
        this.checksInFlight.delete(`${event.id}|${event.context}`);
        useAppStore.getState().setCheckpointCheck(event.id, event.context, event.check);
        return;
      case 'finished':
        this.flushRecords();
        useAppStore.setState({ phase: 'finished' });
        this.log(`finished after ${event.completedSteps} steps${event.stoppedByUser ? ' (stopped)' : ''}`);
        return;
      case 'error':
        this.flushRecords();
        useAppStore.setState({ phase: 'error', error: event.message });
        this.log(`error: ${event.message}`);
        return;
      case 'device-lost':
        this.flushRecords();
        useAppStore.setState({
          phase: 'error',
          deviceStatus: 'lost',
          deviceMessage: `The GPU device was lost (${event.reason}): ${event.message || 'no details'}.`,
          error: `The GPU device was lost (${event.reason}): ${event.message || 'no details'}. Training stopped; press Start to train again on a new device.`,
        });
        return;
    }
  }
}
