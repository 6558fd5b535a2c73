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

/** The worker's verdict on a reference or teacher checkpoint file chosen in the page. */
export type CheckpointCheck =
  | {
    ok: true;
    /** One line from checkpointSummary: shape, parameters, tokenizer, step, optimizer state, run. */
    summary: string;
    tokenizer: 'char' | 'gpt2';
    vocabSize: number;
    blockSize: number;
    /** Reason the file does not fit the set-up's corpus and tokenizer; absent when it fits or the corpus is not loaded yet. */
    mismatch?: string;
  }
  | { ok: false; message: string };

export type WorkerCommand =
  /** Acquire the device, report it and time a matmul; sent once when the page loads. */
  | { type: 'probe' }
  /** Build a new experiment (replacing any earlier one) and start training it. */
  | {
    type: 'start';
    config: ExperimentConfig;
    runs: RunSpec[];
    corpus: CorpusSource;
    inspectEvery: number;
    /** Checkpoint files by the names in the runs' `checkpoint` fields. */
    checkpoints: Record<string, Uint8Array>;
  }
  | { type: 'pause' }
  | { type: 'resume' }
  /** End training; the experiment stays available for samples, inspection and export. */
  | { type: 'stop' }
  | { type: 'inspect'; runIndex: number }
  | { type: 'sample'; requestId: number; runIndex: number; request: SampleRequest }
  | { type: 'export' }
  /** Read each run's current model (parameters and AdamW state) as a safetensors file. */
  | { type: 'save-checkpoints'; requestId: number }
  /**
   * Validate a checkpoint file and compare its tokenizer with the set-up's. corpus is
   * undefined while the set-up has no usable corpus; the vocabulary is then not compared.
   */
  | { type: 'check-checkpoint'; id: number; context: string; fileName: string; bytes: Uint8Array; tokenizer: string; corpus?: CorpusSource };

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
  | {
    type: 'started';
    runNames: string[];
    parameterCount: number;
    totalSteps: number;
    M: number;
    /** Category name of each genre code of the corpus, e.g. `ca` → `news`. */
    genreNames: Record<string, string>;
  }
  | { type: 'steps'; runIndex: number; records: StepRecord[] }
  | { type: 'eval'; runIndex: number; record: EvalRecord }
  | { type: 'run-stopped'; runIndex: number; step: number; message: string }
  | { type: 'state'; state: 'running' | 'paused' }
  | { type: 'inspection'; inspection: TokenInspection }
  | { type: 'sample'; requestId: number; runIndex: number; text: string }
  | { type: 'sample-error'; requestId: number; runIndex: number; message: string }
  | { type: 'report'; report: ExperimentReport }
  /** Safetensors bytes of each run's model by run name, or the reason saving failed. */
  | { type: 'checkpoints'; requestId: number; files: Record<string, Uint8Array> }
  | { type: 'checkpoints-error'; requestId: number; message: string }
  | { type: 'checkpoint-checked'; id: number; context: string; check: CheckpointCheck }
  | { type: 'finished'; completedSteps: number; stoppedByUser: boolean }
  | { type: 'error'; message: string }
  | { type: 'device-lost'; reason: string; message: string };
