// Exported results: the experiment report as JSON (config, seed, adapter, every record
// and the genres' category names), the same records as CSV, and reading an exported
// JSON back as overlay runs.

import { STRATEGIES, type EvalRecord, type ExperimentConfig, type ExperimentReport, type StepRecord } from '../train/types.ts';
import type { RunSeries } from './store.ts';
import { runColor } from './strategies.ts';

const STEP_FIELDS: (keyof StepRecord)[] = [
  'step', 'trainLoss', 'selectedLoss', 'meanEntropy', 'threshold', 'keptTokens', 'totalTokens', 'gradNorm', 'lr', 'alpha',
  'executedFlops', 'nominalFlops', 'cumulativeExecutedFlops', 'cumulativeNominalFlops', 'cumulativeTokens', 'ms', 'elapsedMs',
];
const EVAL_FIELDS: (keyof EvalRecord)[] = ['valLoss', 'valPerplexity', 'worstGenre', 'worstGenrePerplexity'];

/** An experiment report as the page exports it: the engine's report plus the category name of each genre code. */
export interface ExportedReport extends ExperimentReport {
  genreNames: Record<string, string>;
}

export function exportedReport(report: ExperimentReport, genreNames: Record<string, string>): ExportedReport {
  return { ...report, genreNames };
}

/** Genre codes of every evaluation of every run, sorted. */
export function reportGenres(runs: readonly { evals: readonly Partial<EvalRecord>[] }[]): string[] {
  const genres = new Set<string>();
  for (const run of runs) {
    for (const record of run.evals) for (const genre of Object.keys(record.perGenrePerplexity ?? {})) genres.add(genre);
  }
  return [...genres].sort();
}

/** Formats a CSV cell; undefined and null (random's threshold) are empty cells. */
function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Writes one CSV row per step record (kind "train") and per evaluation (kind "eval") of
 * every run. Evaluation rows also fill one `perGenrePerplexity.<genre code>` column per
 * genre; the JSON export maps the codes to category names.
 */
export function reportToCsv(report: ExperimentReport): string {
  const genres = reportGenres(report.runs);
  const genreColumns = genres.map((genre) => `perGenrePerplexity.${genre}`);
  const header = ['run', 'strategy', 'alpha', 'seed', 'kind', ...STEP_FIELDS, ...EVAL_FIELDS, ...genreColumns];
  const rows = [header.join(',')];
  for (const run of report.runs) {
    const lead = [run.name, run.strategy, run.alpha, report.config.seed];
    for (const record of run.history) {
      const evalCells = [...EVAL_FIELDS, ...genres].map(() => '');
      rows.push([...lead, 'train', ...STEP_FIELDS.map((f) => record[f]), ...evalCells].map(csvCell).join(','));
    }
    for (const record of run.evals) {
      const stepCells = STEP_FIELDS.map((f) => (f === 'step' ? record.step : ''));
      const genreCells = genres.map((genre) => record.perGenrePerplexity?.[genre]);
      rows.push([...lead, 'eval', ...stepCells, ...EVAL_FIELDS.map((f) => record[f]), ...genreCells].map(csvCell).join(','));
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

/** Returns whether an evaluation's optional per-genre fields, when present, have their types (files from older builds lack them). */
function hasValidGenreFields(record: Partial<EvalRecord>): boolean {
  const perGenre = record.perGenrePerplexity as unknown;
  if (perGenre !== undefined && (typeof perGenre !== 'object' || perGenre === null || Array.isArray(perGenre))) return false;
  if (perGenre && !Object.values(perGenre).every((value) => typeof value === 'number' || value === null)) return false;
  if (record.worstGenre !== undefined && typeof record.worstGenre !== 'string') return false;
  return record.worstGenrePerplexity === undefined || typeof record.worstGenrePerplexity === 'number' || record.worstGenrePerplexity === null;
}

/** Returns a file's genre names, keeping only entries whose name is a string; undefined when the value is not an object. */
function genreNamesOf(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return Object.fromEntries(entries);
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
    const badGenres = run.evals.findIndex((record) => !hasValidGenreFields(record));
    if (badGenres !== -1) {
      throw new ResultsFileError(`${where}: evaluation ${badGenres} has an invalid perGenrePerplexity, worstGenre or worstGenrePerplexity.`);
    }
    return {
      key: `import:${fileName}:${i}`,
      name: `${run.name} (${fileName})`,
      strategy: run.strategy,
      alpha: run.alpha,
      color: runColor(firstColorIndex + i),
      group: `import:${fileName}`,
      imported: true,
      config,
      genreNames: genreNamesOf((report as Partial<ExportedReport>).genreNames),
      steps: history as StepRecord[],
      evals: run.evals as EvalRecord[],
      ...(run.error ? { stopped: run.error } : {}),
    };
  });
}

/** Offers text as a file download. */
export function downloadText(text: string, fileName: string, type: string): void {
  downloadBlob(new Blob([text], { type }), fileName);
}

/** Offers bytes as a file download. */
export function downloadBytes(bytes: Uint8Array<ArrayBuffer>, fileName: string, type = 'application/octet-stream'): void {
  downloadBlob(new Blob([bytes], { type }), fileName);
}

function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
