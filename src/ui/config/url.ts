// The whole set-up in the page's query string, so a link reproduces it. Decoding keeps
// every value as text: the form validates it like a typed value and shows the message.
// Checkpoint files are the one part a link cannot carry.

import { RUN_OPTION_FIELDS, strategyInfo, type RunOptionField } from '../strategies.ts';
import { DEFAULT_RUNS, draftFromPreset, isPresetName, NUMERIC_FIELDS, withStrategyOptions, type Draft, type DraftRun } from './draft.ts';

/**
 * Formats one run as `strategy:alpha`, followed by `:option=value` for each option of
 * its strategy, e.g. `ada-eslm:0.5:alphaMin=0.2:alphaMax=0.8`.
 */
function runToText(run: DraftRun): string {
  const parts = [run.strategy, run.alpha];
  for (const field of strategyInfo(run.strategy)?.options ?? []) {
    const value = run[field];
    if (value !== undefined) parts.push(`${field}=${value}`);
  }
  return parts.join(':');
}

/** Query string of a draft, e.g. `preset=tiny&corpus=brown&…&runs=clm:0,eslm-loss:0.5`. */
export function draftToQuery(draft: Draft): string {
  const params = new URLSearchParams();
  params.set('preset', draft.preset);
  params.set('corpus', draft.corpus);
  params.set('tokenizer', draft.tokenizer);
  params.set('schedule', draft.schedule);
  for (const field of NUMERIC_FIELDS) params.set(field, draft[field]);
  params.set('runs', draft.runs.map(runToText).join(','));
  return params.toString();
}

/**
 * Reads a draft from a query string: the named preset (tiny when absent or unknown)
 * overlaid with every field present. Returns null when the query names no field, and
 * notes for parameters it could not place and for model files the user must load again.
 */
export function draftFromQuery(query: string): { draft: Draft; notes: string[] } | null {
  const params = new URLSearchParams(query);
  const known = ['preset', 'corpus', 'tokenizer', 'schedule', 'runs', ...NUMERIC_FIELDS];
  if (!known.some((key) => params.has(key))) return null;

  const notes: string[] = [];
  const presetParam = params.get('preset') ?? 'tiny';
  const base = draftFromPreset(isPresetName(presetParam) ? presetParam : 'tiny');
  const draft: Draft = { ...base, preset: presetParam };
  if (!isPresetName(presetParam) && presetParam !== 'custom') {
    notes.push(`The link names an unknown preset "${presetParam}"; the tiny preset's values fill the fields the link leaves out.`);
  }
  for (const key of ['corpus', 'tokenizer', 'schedule'] as const) {
    const value = params.get(key);
    if (value !== null) draft[key] = value;
  }
  for (const field of NUMERIC_FIELDS) {
    const value = params.get(field);
    if (value !== null) draft[field] = value;
  }
  const runs = params.get('runs');
  if (runs !== null) draft.runs = parseRuns(runs, notes);
  else draft.runs = DEFAULT_RUNS.map((run) => ({ ...run }));
  for (const key of params.keys()) {
    if (!known.includes(key)) notes.push(`The link's parameter "${key}" is not a set-up field and was ignored.`);
  }
  draft.runs.forEach((run, i) => {
    const info = strategyInfo(run.strategy);
    if (info?.frozenModel) {
      notes.push(`Run ${i + 1} (${info.label}) needs its ${info.frozenModel} model file, which a link cannot carry: load the .safetensors file again in that run's row.`);
    }
  });
  return { draft, notes };
}

function parseRuns(text: string, notes: string[]): DraftRun[] {
  if (text.trim() === '') return [];
  return text.split(',').map((item, i) => {
    const [strategy = '', alpha = '0', ...options] = item.split(':').map((part) => part.trim());
    const run: DraftRun = { strategy, alpha };
    const allowed = strategyInfo(strategy)?.options ?? [];
    for (const option of options) {
      const equals = option.indexOf('=');
      const name = equals === -1 ? option : option.slice(0, equals);
      if (!(allowed as readonly string[]).includes(name) || equals === -1) {
        const known = (RUN_OPTION_FIELDS as readonly string[]).includes(name);
        const reason = known ? `is not an option of "${strategy}"` : 'is not a run option';
        notes.push(`The link's run ${i + 1} option "${option}" ${equals === -1 ? 'has no value' : reason} and was ignored.`);
        continue;
      }
      run[name as RunOptionField] = option.slice(equals + 1);
    }
    return withStrategyOptions(run);
  });
}
