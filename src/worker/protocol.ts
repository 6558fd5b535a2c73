// Messages between the page and the training worker. The worker owns the GPUDevice and
// the PairedExperiment; the page sends commands and receives events, all plain data
// that structured cloning copies.

import type { AdapterSummary } from '../gpu/device.ts';
import type { MatmulBenchmark } from '../gpu/benchmark.ts';
import type { EvalRecord, ExperimentConfig, ExperimentReport, RunSpec, StepRecord } from '../train/types.ts';

/** Source of the training text: a prepared corpus or text the user supplied. */
export type CorpusSource =
  | { kind: 'brown' }
  | { kind: 'nlp-corpus' }
  | { kind: 'user'; name: string; text: string };

export interface SampleRequest {
  prompt: string;
  maxTokens: number;
  temperature: number;
  topK: number;
  seed: number;
}

export type WorkerCommand =
  /** Acquire the device, report it and time a matmul; sent once when the page loads. */
  | { type: 'probe' }
  /** Build a new experiment (replacing any earlier one) and start training it. */
  | { type: 'start'; config: ExperimentConfig; runs: RunSpec[]; corpus: CorpusSource; inspectEvery: number }
  | { type: 'pause' }
  | { type: 'resume' }
  /** End training; the experiment stays available for samples, inspection and export. */
  | { type: 'stop' }
  | { type: 'inspect'; runIndex: number }
  | { type: 'sample'; requestId: number; runIndex: number; request: SampleRequest }
  | { type: 'export' };

export type ProgressStage = 'corpus' | 'tokenize' | 'compile';

/** A list of device limits as name → granted value. */
export type LimitTable = Record<string, number>;

export interface TokenInspection {
  runIndex: number;
  step: number;
  score: 'loss' | 'entropy';
  B: number;
  T: number;
  /** (B·T) decoded text of each target token. */
  tokens: string[];
  /** (B·T) score of each target token. */
  scores: number[];
  /** (B·T) 1 where the token was kept for the backward pass. */
  kept: number[];
}

export type WorkerEvent =
  | { type: 'device'; adapter: AdapterSummary; limits: LimitTable }
  | { type: 'benchmark'; result: MatmulBenchmark }
  | { type: 'webgpu-unavailable'; reason: string }
  /** A prepared corpus is loaded in the worker and needs no further request. */
  | { type: 'corpus-cached'; corpus: 'brown' | 'nlp-corpus'; documents: number }
  /** A preparation stage; fraction in [0, 1], or null while its length is unknown. */
  | { type: 'progress'; stage: ProgressStage; label: string; fraction: number | null }
  | { type: 'log'; line: string }
  | { type: 'started'; runNames: string[]; parameterCount: number; totalSteps: number; M: number }
  | { type: 'steps'; runIndex: number; records: StepRecord[] }
  | { type: 'eval'; runIndex: number; record: EvalRecord }
  | { type: 'run-stopped'; runIndex: number; step: number; message: string }
  | { type: 'state'; state: 'running' | 'paused' }
  | { type: 'inspection'; inspection: TokenInspection }
  | { type: 'sample'; requestId: number; runIndex: number; text: string }
  | { type: 'sample-error'; requestId: number; runIndex: number; message: string }
  | { type: 'report'; report: ExperimentReport }
  | { type: 'finished'; completedSteps: number; stoppedByUser: boolean }
  | { type: 'error'; message: string }
  | { type: 'device-lost'; reason: string; message: string };
