// Exported results: the experiment report as JSON (config, seed, adapter and every
// record), the same records as CSV, and reading an exported JSON back as overlay runs.

import { STRATEGIES, type EvalRecord, type ExperimentConfig, type ExperimentReport, type StepRecord } from '../train/types.ts';
import type { RunSeries } from './store.ts';
import { runColor } from './strategies.ts';

const STEP_FIELDS: (keyof StepRecord)[] = [
  'step', 'trainLoss', 'selectedLoss', 'meanEntropy', 'threshold', 'keptTokens', 'totalTokens', 'gradNorm', 'lr', 'alpha',
  'executedFlops', 'nominalFlops', 'cumulativeExecutedFlops', 'cumulativeNominalFlops', 'cumulativeTokens', 'ms', 'elapsedMs',
];
const EVAL_FIELDS: (keyof EvalRecord)[] = ['valLoss', 'valPerplexity', 'worstGenre', 'worstGenrePerplexity'];

function csvCell(value: unknown): string {
  const text = value === undefined ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Writes one CSV row per step record (kind "train") and per evaluation (kind "eval") of every run. */
export function reportToCsv(report: ExperimentReport): string {
  const header = ['run', 'strategy', 'alpha', 'seed', 'kind', ...STEP_FIELDS, ...EVAL_FIELDS];
  const rows = [header.join(',')];
  for (const run of report.runs) {
    const lead = [run.name, run.strategy, run.alpha, report.config.seed];
    for (const record of run.history) {
      rows.push([...lead, 'train', ...STEP_FIELDS.map((f) => record[f]), ...EVAL_FIELDS.map(() => '')].map(csvCell).join(','));
    }
    for (const record of run.evals) {
      const stepCells = STEP_FIELDS.map((f) => (f === 'step' ? record.step : ''));
      rows.push([...lead, 'eval', ...stepCells, ...EVAL_FIELDS.map((f) => record[f])].map(csvCell).join(','));
    }
  }
  return `${rows.join('\n')}\n`;
}

export class ResultsFileError extends Error {}

function isNumberRecord(value: unknown, fields: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return fields.every((field) => typeof record[field] === 'number');
}

/**
 * Reads an exported report and returns its runs as overlay series. Throws
 * ResultsFileError naming the first field that is missing or of the wrong type.
 */
export function importedRuns(text: string, fileName: string, firstColorIndex: number): RunSeries[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ResultsFileError(`"${fileName}" is not JSON: load a file saved with "Export JSON".`);
  }
  const report = json as Partial<ExperimentReport> | null;
  if (!report || typeof report !== 'object' || !Array.isArray(report.runs)) {
    throw new ResultsFileError(`"${fileName}" has no "runs" list: load a file saved with "Export JSON".`);
  }
  const config = report.config as ExperimentConfig | undefined;
  if (!config || typeof config !== 'object' || typeof config.seed !== 'number' || typeof config.model !== 'object') {
    throw new ResultsFileError(`"${fileName}" has no valid "config": load a file saved with "Export JSON".`);
  }
  // ms may be NaN (written as null) and threshold is null for the random control.
  const numericStepFields = STEP_FIELDS.filter((f) => f !== 'ms' && f !== 'threshold');
  return report.runs.map((run, i) => {
    const where = `"${fileName}", run ${i}`;
    if (typeof run?.name !== 'string') throw new ResultsFileError(`${where}: "name" is missing or not text.`);
    if (!(STRATEGIES as readonly string[]).includes(run.strategy)) {
      throw new ResultsFileError(`${where}: unknown strategy "${String(run.strategy)}"; known: ${STRATEGIES.join(', ')}.`);
    }
    if (typeof run.alpha !== 'number' || !(run.alpha >= 0 && run.alpha < 1)) {
      throw new ResultsFileError(`${where}: α must be a number in [0, 1), got ${String(run.alpha)}.`);
    }
    if (!Array.isArray(run.history) || !Array.isArray(run.evals)) {
      throw new ResultsFileError(`${where}: "history" and "evals" must be lists.`);
    }
    // JSON writes NaN as null; the charts skip such points.
    const history = run.history.map((record) => ({ ...record, ms: typeof record?.ms === 'number' ? record.ms : Number.NaN }));
    const badStep = history.findIndex((record) => !isNumberRecord(record, numericStepFields));
    if (badStep !== -1) throw new ResultsFileError(`${where}: step record ${badStep} lacks a numeric field (${numericStepFields.join(', ')}).`);
    const badEval = run.evals.findIndex((record) => !isNumberRecord(record, ['step', 'valPerplexity']));
    if (badEval !== -1) throw new ResultsFileError(`${where}: evaluation ${badEval} lacks a numeric step or valPerplexity.`);
    return {
      key: `import:${fileName}:${i}`,
      name: `${run.name} (${fileName})`,
      strategy: run.strategy,
      alpha: run.alpha,
      color: runColor(firstColorIndex + i),
      group: `import:${fileName}`,
      imported: true,
      config,
      steps: history as StepRecord[],
      evals: run.evals as EvalRecord[],
      ...(run.error ? { stopped: run.error } : {}),
    };
  });
}

/** Offers text as a file download. */
export function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
