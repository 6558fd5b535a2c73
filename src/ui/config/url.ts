// The whole set-up in the page's query string, so a link reproduces it. Decoding keeps
// every value as text: the form validates it like a typed value and shows the message.

import { DEFAULT_RUNS, draftFromPreset, isPresetName, NUMERIC_FIELDS, type Draft, type DraftRun } from './draft.ts';

/** Query string of a draft, e.g. `preset=tiny&corpus=brown&…&runs=clm:0,eslm-loss:0.5`. */
export function draftToQuery(draft: Draft): string {
  const params = new URLSearchParams();
  params.set('preset', draft.preset);
  params.set('corpus', draft.corpus);
  params.set('tokenizer', draft.tokenizer);
  params.set('schedule', draft.schedule);
  for (const field of NUMERIC_FIELDS) params.set(field, draft[field]);
  params.set('runs', draft.runs.map((run) => `${run.strategy}:${run.alpha}`).join(','));
  return params.toString();
}

/**
 * Reads a draft from a query string: the named preset (tiny when absent or unknown)
 * overlaid with every field present. Returns null when the query names no field, and
 * notes for parameters it could not place.
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
  if (runs !== null) draft.runs = parseRuns(runs);
  else draft.runs = DEFAULT_RUNS.map((run) => ({ ...run }));
  for (const key of params.keys()) {
    if (!known.includes(key)) notes.push(`The link's parameter "${key}" is not a set-up field and was ignored.`);
  }
  return { draft, notes };
}

function parseRuns(text: string): DraftRun[] {
  if (text.trim() === '') return [];
  return text.split(',').map((item) => {
    const colon = item.indexOf(':');
    if (colon === -1) return { strategy: item.trim(), alpha: '0' };
    return { strategy: item.slice(0, colon).trim(), alpha: item.slice(colon + 1).trim() };
  });
}
