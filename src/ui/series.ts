// Chart series derived from step and evaluation records: one list of (x, y) points per
// run and chart, on the chosen x-axis, with every non-finite point left out.

import type { EvalRecord, StepRecord } from '../train/types.ts';
import type { RunSeries, XAxis } from './store.ts';

export interface Point {
  x: number;
  y: number;
}

export interface ChartSeries {
  key: string;
  name: string;
  color: string;
  dashed: boolean;
  points: Point[];
  /** Text for the legend: the latest value, formatted by the chart. */
  latest?: string;
}

export const X_AXIS_LABELS: Record<XAxis, string> = {
  step: 'step',
  tokens: 'tokens seen',
  flops: 'cumulative executed FLOPs',
  wallclock: 'wall-clock (s)',
};

/** x of a step record: steps completed, tokens seen, executed FLOPs so far or seconds since the start. */
export function stepX(record: StepRecord, axis: XAxis): number {
  switch (axis) {
    case 'step':
      return record.step + 1;
    case 'tokens':
      return record.cumulativeTokens;
    case 'flops':
      return record.cumulativeExecutedFlops;
    case 'wallclock':
      return record.elapsedMs / 1000;
  }
}

/**
 * x of an evaluation after `step` completed steps: 0 at the start, else the x of the
 * record of the last step before it, or undefined while that record has not arrived.
 */
export function evalX(record: EvalRecord, steps: readonly StepRecord[], axis: XAxis): number | undefined {
  if (record.step === 0) return 0;
  if (axis === 'step') return record.step;
  const last = steps[record.step - 1];
  return last && last.step === record.step - 1 ? stepX(last, axis) : undefined;
}

function finitePoints(points: Point[]): Point[] {
  return points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
}

/** Points per step record of one run. */
export function stepSeries(run: RunSeries, axis: XAxis, value: (record: StepRecord) => number): Point[] {
  return finitePoints(run.steps.map((record) => ({ x: stepX(record, axis), y: value(record) })));
}

/** Points per evaluation of one run; evaluations without a numeric value are left out. */
export function evalSeries(run: RunSeries, axis: XAxis, value: (record: EvalRecord) => number | null | undefined): Point[] {
  const points: Point[] = [];
  for (const record of run.evals) {
    const x = evalX(record, run.steps, axis);
    const y = value(record);
    if (x !== undefined && typeof y === 'number') points.push({ x, y });
  }
  return finitePoints(points);
}

export function validationPerplexity(run: RunSeries, axis: XAxis): Point[] {
  return evalSeries(run, axis, (record) => record.valPerplexity);
}

/** Perplexity of the genre each evaluation found hardest: the run's worst case over genres. */
export function worstGenrePerplexity(run: RunSeries, axis: XAxis): Point[] {
  return evalSeries(run, axis, (record) => record.worstGenrePerplexity);
}

/** Returns the category name of a genre code from the run's genre names, else the code. */
export function genreLabel(run: Pick<RunSeries, 'genreNames'>, genre: string): string {
  return run.genreNames?.[genre] ?? genre;
}

export function selectedRatio(record: StepRecord): number {
  return record.keptTokens / record.totalTokens;
}

/** Tokens per second of one step, from the GPU queue time of the step. */
export function tokensPerSecond(record: StepRecord): number {
  return record.ms > 0 ? record.totalTokens / (record.ms / 1000) : Number.NaN;
}

/**
 * FLOPs saved by a run against the CLM run of its group, at the same step:
 * 1 − cumulative(run) / cumulative(CLM), for executed or nominal FLOPs.
 */
export function flopsSaved(run: RunSeries, clm: RunSeries, axis: XAxis, kind: 'executed' | 'nominal'): Point[] {
  const clmByStep = new Map<number, StepRecord>();
  for (const record of clm.steps) clmByStep.set(record.step, record);
  const points: Point[] = [];
  for (const record of run.steps) {
    const reference = clmByStep.get(record.step);
    if (!reference) continue;
    const ours = kind === 'executed' ? record.cumulativeExecutedFlops : record.cumulativeNominalFlops;
    const theirs = kind === 'executed' ? reference.cumulativeExecutedFlops : reference.cumulativeNominalFlops;
    if (theirs > 0) points.push({ x: stepX(record, axis), y: 1 - ours / theirs });
  }
  return finitePoints(points);
}

/** At most `limit` points, keeping the first and last; charts draw no more than that. */
export function thinPoints(points: Point[], limit = 400): Point[] {
  if (points.length <= limit) return points;
  const stride = Math.ceil(points.length / limit);
  const thinned = points.filter((_, i) => i % stride === 0);
  if (thinned.at(-1) !== points.at(-1)) thinned.push(points.at(-1)!);
  return thinned;
}
