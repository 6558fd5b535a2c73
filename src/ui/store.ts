// The app's one zustand store, in slices: set-up (config), runs and their metric series
// (runs), the GPU (device) and the page state (ui). Worker events reach it through
// WorkerClient, which batches step records so the charts re-render a few times a
// second rather than once per step.

import { create } from 'zustand';
import type { MatmulBenchmark } from '../gpu/benchmark.ts';
import type { AdapterSummary } from '../gpu/device.ts';
import type { EvalRecord, ExperimentConfig, RunSpec, StepRecord, StrategyName } from '../train/types.ts';
import type { CheckpointCheck, LimitTable, ProgressStage, TokenInspection } from '../worker/protocol.ts';
import { draftFromPreset, type Draft } from './config/draft.ts';

export const X_AXES = ['step', 'tokens', 'flops', 'wallclock'] as const;
export type XAxis = (typeof X_AXES)[number];

export interface RunSeries {
  /** Unique key: `live:<i>` or `import:<file>:<i>`. */
  key: string;
  name: string;
  strategy: StrategyName;
  alpha: number;
  color: string;
  /** Runs of one experiment share a group, so FLOPs saved compare with that experiment's CLM run. */
  group: string;
  imported: boolean;
  /** Configuration the run was trained with. */
  config: ExperimentConfig;
  /** The run's full spec (options such as Ada-ESLM's bounds); absent for runs loaded from a results file. */
  spec?: RunSpec;
  /** Category name of each genre code of the run's corpus, where known. */
  genreNames?: Record<string, string>;
  steps: StepRecord[];
  evals: EvalRecord[];
  stopped?: { step: number; message: string };
}

export interface ConfigSlice {
  draft: Draft;
  /** The user's text file, once it decoded as UTF-8 text. */
  userFile?: { name: string; text: string };
  /** Rejection message for the last chosen file. */
  userFileError?: string;
  /** Prepared corpora already loaded in the worker, with their document counts. */
  cachedCorpora: Partial<Record<'brown' | 'nlp-corpus', number>>;
  /** Messages about values from a shared link that could not be used. */
  linkNotes: string[];
  setDraft(draft: Draft): void;
  setUserFile(file: { name: string; text: string } | undefined, error?: string): void;
  /** Stores the worker's check of checkpoint file `id`, made for set-up context `context`. */
  setCheckpointCheck(id: number, context: string, check: CheckpointCheck): void;
}

export interface RunsSlice {
  live: RunSeries[];
  imported: RunSeries[];
  /** Tokens per batch of the live experiment. */
  M: number;
  totalSteps: number;
  parameterCount: number;
  setLive(runs: RunSeries[], M: number, totalSteps: number, parameterCount: number): void;
  appendRecords(steps: Map<number, StepRecord[]>, evals: Map<number, EvalRecord[]>): void;
  markStopped(runIndex: number, step: number, message: string): void;
  addImported(runs: RunSeries[]): void;
  clearImported(): void;
}

export interface DeviceSlice {
  deviceStatus: 'probing' | 'ready' | 'unavailable' | 'lost';
  adapter?: AdapterSummary;
  limits?: LimitTable;
  benchmark?: MatmulBenchmark;
  /** Reason WebGPU cannot be used, or reason the device was lost. */
  deviceMessage?: string;
}

export interface ProgressState {
  stage: ProgressStage;
  label: string;
  fraction: number | null;
}

export type Phase = 'idle' | 'preparing' | 'running' | 'paused' | 'finished' | 'error';

export interface SampleState {
  pending: boolean;
  text?: string;
  error?: string;
}

export interface UiSlice {
  phase: Phase;
  progress: Partial<Record<ProgressStage, ProgressState>>;
  logs: string[];
  error?: string;
  xAxis: XAxis;
  inspection?: TokenInspection;
  inspectRun: number;
  samples: Record<number, SampleState>;
  /** Outcome of the last "Save model" request. */
  saveMessage?: { text: string; error: boolean };
  setXAxis(axis: XAxis): void;
}

export type AppState = ConfigSlice & RunsSlice & DeviceSlice & UiSlice;

/** Log lines kept on screen; older ones are dropped. */
export const MAX_LOG_LINES = 200;

export const useAppStore = create<AppState>()((set) => ({
  // config
  draft: draftFromPreset('tiny'),
  linkNotes: [],
  cachedCorpora: {},
  setDraft: (draft) => set({ draft }),
  setUserFile: (file, error) => set({ userFile: file, userFileError: error }),
  setCheckpointCheck: (id, context, check) => set((state) => ({
    draft: {
      ...state.draft,
      runs: state.draft.runs.map((run) => (run.checkpoint?.id === id ? { ...run, checkpoint: { ...run.checkpoint, check, checkedFor: context } } : run)),
    },
  })),

  // runs
  live: [],
  imported: [],
  M: 0,
  totalSteps: 0,
  parameterCount: 0,
  setLive: (live, M, totalSteps, parameterCount) => set({ live, M, totalSteps, parameterCount }),
  appendRecords: (steps, evals) => set((state) => ({
    live: state.live.map((run, i) => {
      const newSteps = steps.get(i);
      const newEvals = evals.get(i);
      if (!newSteps && !newEvals) return run;
      return {
        ...run,
        steps: newSteps ? run.steps.concat(newSteps) : run.steps,
        evals: newEvals ? run.evals.concat(newEvals) : run.evals,
      };
    }),
  })),
  markStopped: (runIndex, step, message) => set((state) => ({
    live: state.live.map((run, i) => (i === runIndex ? { ...run, stopped: { step, message } } : run)),
  })),
  addImported: (runs) => set((state) => ({ imported: state.imported.concat(runs) })),
  clearImported: () => set({ imported: [] }),

  // device
  deviceStatus: 'probing',

  // ui
  phase: 'idle',
  progress: {},
  logs: [],
  xAxis: 'step',
  inspectRun: 0,
  samples: {},
  setXAxis: (xAxis) => set({ xAxis }),
}));
