// The last inspected batch of one run: each target token coloured by its score, the
// kept tokens outlined, and a histogram of the scores with the VaR threshold (smallest
// kept score) and the CVaR (mean kept score).

import { useMemo } from 'react';
import type { TokenInspection } from '../../worker/protocol.ts';
import type { WorkerClient } from '../client.ts';
import { useAppStore } from '../store.ts';

const HISTOGRAM_BINS = 40;

interface Summary {
  kept: number;
  total: number;
  /** Smallest kept score. */
  valueAtRisk: number;
  /** Mean kept score. */
  conditionalValueAtRisk: number;
  maxScore: number;
}

function summarize(view: TokenInspection): Summary {
  let kept = 0;
  let keptSum = 0;
  let valueAtRisk = Infinity;
  let maxScore = 0;
  view.scores.forEach((score, i) => {
    maxScore = Math.max(maxScore, score);
    if (view.kept[i] === 1) {
      kept++;
      keptSum += score;
      valueAtRisk = Math.min(valueAtRisk, score);
    }
  });
  return { kept, total: view.scores.length, valueAtRisk, conditionalValueAtRisk: kept > 0 ? keptSum / kept : Number.NaN, maxScore };
}

/** Background colour for a score: white at 0 to saturated orange at the batch maximum. */
function scoreColor(score: number, maxScore: number): string {
  const t = maxScore > 0 ? Math.min(1, score / maxScore) : 0;
  return `hsl(28 95% ${Math.round(97 - 45 * t)}%)`;
}

function visibleText(token: string): string {
  return token.replaceAll('\n', '↵').replaceAll('\t', '⇥');
}

function Histogram({ view, summary }: { view: TokenInspection; summary: Summary }) {
  const width = 420;
  const height = 120;
  const top = summary.maxScore > 0 ? summary.maxScore : 1;
  const bins = Array.from({ length: HISTOGRAM_BINS }, () => ({ kept: 0, dropped: 0 }));
  view.scores.forEach((score, i) => {
    const bin = Math.min(HISTOGRAM_BINS - 1, Math.floor((score / top) * HISTOGRAM_BINS));
    if (view.kept[i] === 1) bins[bin]!.kept++;
    else bins[bin]!.dropped++;
  });
  const tallest = Math.max(1, ...bins.map((b) => b.kept + b.dropped));
  const barWidth = width / HISTOGRAM_BINS;
  const xOf = (score: number) => (score / top) * width;
  const plotHeight = height - 16;
  return (
    <svg className="histogram" viewBox={`0 0 ${width} ${height}`} role="img" data-var={summary.valueAtRisk} data-cvar={summary.conditionalValueAtRisk}
      aria-label={`Histogram of ${view.score} scores with VaR ${summary.valueAtRisk.toFixed(3)} and CVaR ${summary.conditionalValueAtRisk.toFixed(3)}`}>
      {bins.map((bin, i) => {
        const keptHeight = (bin.kept / tallest) * plotHeight;
        const droppedHeight = (bin.dropped / tallest) * plotHeight;
        return (
          <g key={i}>
            <rect x={i * barWidth + 0.5} width={barWidth - 1} y={plotHeight - droppedHeight} height={droppedHeight} fill="#bbb" />
            <rect x={i * barWidth + 0.5} width={barWidth - 1} y={plotHeight - droppedHeight - keptHeight} height={keptHeight} fill="#e07b00" />
          </g>
        );
      })}
      {Number.isFinite(summary.valueAtRisk) && (
        <g>
          <line x1={xOf(summary.valueAtRisk)} x2={xOf(summary.valueAtRisk)} y1={0} y2={plotHeight} stroke="#c00" strokeDasharray="4 3" strokeWidth={1.5} />
          <text x={xOf(summary.valueAtRisk) + 3} y={10} fontSize={10} fill="#c00">VaR</text>
        </g>
      )}
      {Number.isFinite(summary.conditionalValueAtRisk) && (
        <g>
          <line x1={xOf(summary.conditionalValueAtRisk)} x2={xOf(summary.conditionalValueAtRisk)} y1={0} y2={plotHeight} stroke="#205" strokeWidth={1.5} />
          <text x={xOf(summary.conditionalValueAtRisk) + 3} y={22} fontSize={10} fill="#205">CVaR</text>
        </g>
      )}
      <text x={0} y={height - 2} fontSize={10}>0</text>
      <text x={width} y={height - 2} fontSize={10} textAnchor="end">{top.toFixed(2)}</text>
    </svg>
  );
}

export function TokenView({ client }: { client: WorkerClient }) {
  const view = useAppStore((s) => s.inspection);
  const live = useAppStore((s) => s.live);
  const inspectRun = useAppStore((s) => s.inspectRun);
  const summary = useMemo(() => (view ? summarize(view) : undefined), [view]);

  return (
    <section className="token-view" aria-label="Token view">
      <h2>Tokens of the current batch</h2>
      <div className="token-controls">
        <label htmlFor="inspect-run">Run</label>
        <select id="inspect-run" value={inspectRun} onChange={(event) => client.inspect(Number(event.target.value))}>
          {live.map((run, i) => <option key={run.key} value={i}>{run.name}</option>)}
        </select>
        {live.length > 0 && <button type="button" onClick={() => client.inspect(inspectRun)}>Refresh</button>}
      </div>
      {!view || !summary ? (
        <p className="empty">The batch appears here after the first training steps; it refreshes every few steps.</p>
      ) : (
        <>
          <p className="token-summary" data-kept-count={summary.kept} data-total={summary.total} data-step={view.step}>
            {live[view.runIndex]?.name ?? `run ${view.runIndex}`}, step {view.step}: scored by {view.score};
            {' '}kept <strong>{summary.kept}</strong> of {summary.total} tokens; VaR (smallest kept score) {summary.valueAtRisk.toFixed(3)},
            {' '}CVaR (mean kept score) {summary.conditionalValueAtRisk.toFixed(3)}. Outlined tokens were kept; hover a token for its score.
          </p>
          <Histogram view={view} summary={summary} />
          <div className="tokens">
            {Array.from({ length: view.B }, (_, b) => (
              <p key={b} className="token-row">
                {view.tokens.slice(b * view.T, (b + 1) * view.T).map((token, t) => {
                  const i = b * view.T + t;
                  const kept = view.kept[i] === 1;
                  return (
                    <span key={t} className={kept ? 'token kept' : 'token'} data-kept={kept ? '1' : '0'}
                      style={{ background: scoreColor(view.scores[i]!, summary.maxScore) }}
                      title={`${JSON.stringify(token)}: ${view.score} ${view.scores[i]!.toFixed(4)}, ${kept ? 'kept' : 'dropped'}`}>
                      {visibleText(token)}
                    </span>
                  );
                })}
              </p>
            ))}
          </div>
        </>
      )}
    </section>
  );
}
