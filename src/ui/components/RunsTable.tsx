// One row per run (live and loaded): colour, name, strategy, α, kept tokens, progress,
// latest metrics, how its configuration differs from the others', and a button that
// saves its current model.

import type { ExperimentConfig } from '../../train/types.ts';
import type { WorkerClient } from '../client.ts';
import { saveModels } from '../save-models.ts';
import { genreLabel } from '../series.ts';
import { useAppStore, type RunSeries } from '../store.ts';
import { RUN_OPTION_FIELDS, RUN_OPTION_INFO, STRATEGY_INFO } from '../strategies.ts';

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
  for (const field of RUN_OPTION_FIELDS) {
    const value = run.spec?.[field];
    if (value !== undefined && value !== reference.spec?.[field]) diffs.push(`${RUN_OPTION_INFO[field].label} ${value}`);
  }
  if (run.spec?.checkpoint !== undefined && run.spec.checkpoint !== reference.spec?.checkpoint) diffs.push(`model file ${run.spec.checkpoint}`);
  const ours = flatten(run.config);
  const theirs = flatten(reference.config);
  for (const key of Object.keys(ours)) if (ours[key] !== theirs[key]) diffs.push(`${key} ${ours[key]}`);
  return diffs;
}

function differenceText(isReference: boolean, diffs: string[]): string {
  if (isReference) return 'reference';
  return diffs.length === 0 ? 'none' : diffs.join(', ');
}

/**
 * α of a run: the spec's α, or for Ada-ESLM the α of its latest step with the bounds it
 * adapts within.
 */
function AlphaCell({ run }: { run: RunSeries }) {
  const info = STRATEGY_INFO[run.strategy];
  if (!info.usesAlpha) return <td>–</td>;
  const last = run.steps[run.steps.length - 1];
  if (run.strategy !== 'ada-eslm' || !last) return <td data-alpha={last?.alpha ?? run.alpha}>{run.alpha}</td>;
  const bounds = run.spec ? ` in [${run.spec.alphaMin ?? RUN_OPTION_INFO.alphaMin.defaultValue}, ${run.spec.alphaMax ?? RUN_OPTION_INFO.alphaMax.defaultValue}]` : '';
  return (
    <td data-alpha={last.alpha} title={`started at ${run.alpha}`}>
      {Number(last.alpha.toFixed(4))}{bounds}
    </td>
  );
}

export function RunsTable({ client }: { client: WorkerClient }) {
  const live = useAppStore((s) => s.live);
  const imported = useAppStore((s) => s.imported);
  const totalSteps = useAppStore((s) => s.totalSteps);
  const phase = useAppStore((s) => s.phase);
  const runs = [...live, ...imported];
  if (runs.length === 0) return null;
  const reference = runs[0]!;

  return (
    <table className="runs-table" aria-label="Runs">
      <thead>
        <tr>
          <th>Run</th><th>Strategy</th><th>α</th><th>Kept k/M</th><th>Steps</th><th>Train loss</th><th>Val. perplexity</th>
          <th>Worst genre</th><th>Differences from {reference.name}</th><th>Model</th>
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
              <AlphaCell run={run} />
              <td data-kept-ratio={last ? last.keptTokens / last.totalTokens : ''}>
                {last ? `${last.keptTokens}/${last.totalTokens} = ${(last.keptTokens / last.totalTokens).toFixed(4)}` : '–'}
              </td>
              <td>{last ? `${last.step + 1}${run.imported ? '' : ` of ${totalSteps}`}` : '0'}</td>
              <td>{last ? last.trainLoss.toFixed(4) : '–'}</td>
              <td>{lastEval ? lastEval.valPerplexity.toFixed(3) : '–'}</td>
              <td>{lastEval && typeof lastEval.worstGenrePerplexity === 'number' ? `${genreLabel(run, lastEval.worstGenre)} ${lastEval.worstGenrePerplexity.toFixed(3)}` : '–'}</td>
              <td>
                {run.stopped && <span className="error">stopped at step {run.stopped.step}: {run.stopped.message}. </span>}
                {differenceText(run === reference, diffs)}
              </td>
              <td>
                {!run.imported && (
                  <button type="button" disabled={phase === 'preparing'} onClick={() => void saveModels(client, [run.name])}
                    aria-label={`Save model of ${run.name}`} title={`Download ${run.name}'s current model as a .safetensors checkpoint`}>Save model</button>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
