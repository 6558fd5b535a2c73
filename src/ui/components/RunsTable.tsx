// One row per run (live and loaded): colour, name, strategy, α, kept tokens, progress,
// latest metrics, and how its configuration differs from the others'.

import type { ExperimentConfig } from '../../train/types.ts';
import { useAppStore, type RunSeries } from '../store.ts';
import { STRATEGY_INFO } from '../strategies.ts';

/** Flattened configuration fields, e.g. `model.nLayer`, for comparing runs. */
function flatten(config: ExperimentConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
    } else {
      out[path] = String(value);
    }
  };
  walk(config, '');
  return out;
}

/** Fields of a run's configuration that differ from the first run's, plus its strategy and α when they differ. */
function differences(run: RunSeries, reference: RunSeries): string[] {
  const diffs: string[] = [];
  if (run === reference) return diffs;
  if (run.strategy !== reference.strategy) diffs.push(`strategy ${run.strategy}`);
  if (run.alpha !== reference.alpha) diffs.push(`α ${run.alpha}`);
  const ours = flatten(run.config);
  const theirs = flatten(reference.config);
  for (const key of Object.keys(ours)) if (ours[key] !== theirs[key]) diffs.push(`${key} ${ours[key]}`);
  return diffs;
}

function differenceText(isReference: boolean, diffs: string[]): string {
  if (isReference) return 'reference';
  return diffs.length === 0 ? 'none' : diffs.join(', ');
}

export function RunsTable() {
  const live = useAppStore((s) => s.live);
  const imported = useAppStore((s) => s.imported);
  const totalSteps = useAppStore((s) => s.totalSteps);
  const runs = [...live, ...imported];
  if (runs.length === 0) return null;
  const reference = runs[0]!;

  return (
    <table className="runs-table" aria-label="Runs">
      <thead>
        <tr>
          <th>Run</th><th>Strategy</th><th>α</th><th>Kept k/M</th><th>Steps</th><th>Train loss</th><th>Val. perplexity</th>
          <th>Differences from {reference.name}</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => {
          const last = run.steps[run.steps.length - 1];
          const lastEval = run.evals[run.evals.length - 1];
          const diffs = differences(run, reference);
          return (
            <tr key={run.key} data-run={run.name} data-strategy={run.strategy}>
              <td><span className="swatch" style={{ background: run.color }} />{run.name}{run.imported && <em> (loaded)</em>}</td>
              <td>{STRATEGY_INFO[run.strategy].label}</td>
              <td>{STRATEGY_INFO[run.strategy].usesAlpha ? run.alpha : '–'}</td>
              <td data-kept-ratio={last ? last.keptTokens / last.totalTokens : ''}>
                {last ? `${last.keptTokens}/${last.totalTokens} = ${(last.keptTokens / last.totalTokens).toFixed(4)}` : '–'}
              </td>
              <td>{last ? `${last.step + 1}${run.imported ? '' : ` of ${totalSteps}`}` : '0'}</td>
              <td>{last ? last.trainLoss.toFixed(4) : '–'}</td>
              <td>{lastEval ? lastEval.valPerplexity.toFixed(3) : '–'}</td>
              <td>
                {run.stopped && <span className="error">stopped at step {run.stopped.step}: {run.stopped.message}. </span>}
                {differenceText(run === reference, diffs)}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
