// The last inspected batch of one run: each target token coloured by its score, the
// kept tokens outlined, and a histogram of the scores with the VaR threshold (smallest
// kept score) and the CVaR (mean kept score). Random and Rho-1 runs do not select by
// the score shown, so their histogram has no VaR or CVaR line.

import { useMemo } from 'react';
import type { StrategyName } from '../../train/types.ts';
import type { TokenInspection } from '../../worker/protocol.ts';
import type { WorkerClient } from '../client.ts';
import { useAppStore } from '../store.ts';
import { STRATEGY_INFO } from '../strategies.ts';

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

/**
 * Returns the reason the shown score has no VaR line for a strategy, or undefined when
 * the strategy kept its tokens by that score.
 */
function noThresholdReason(strategy: StrategyName | undefined, score: string): string | undefined {
  if (!strategy) return undefined;
  const info = STRATEGY_INFO[strategy];
  if (info.score === 'uniform') {
    return `${info.label} keeps tokens drawn uniformly at random, not by score, so it has no VaR threshold (its step records carry none): kept tokens are spread over the whole histogram.`;
  }
  if (info.score === 'excess loss') {
    return `${info.label} keeps the tokens with the largest excess loss over its reference model, not the largest ${score}, so no VaR line is drawn on this ${score} histogram.`;
  }
  return undefined;
}

function Histogram({ view, summary, showThreshold }: { view: TokenInspection; summary: Summary; showThreshold: boolean }) {
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
    <svg className="histogram" viewBox={`0 0 ${width} ${height}`} role="img"
      data-var={showThreshold ? summary.valueAtRisk : undefined} data-cvar={showThreshold ? summary.conditionalValueAtRisk : undefined}
      aria-label={showThreshold
        ? `Histogram of ${view.score} scores with VaR ${summary.valueAtRisk.toFixed(3)} and CVaR ${summary.conditionalValueAtRisk.toFixed(3)}`
        : `Histogram of ${view.score} scores of kept and dropped tokens, without a VaR threshold`}>
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
      {showThreshold && Number.isFinite(summary.valueAtRisk) && (
        <g data-line="var">
          <line x1={xOf(summary.valueAtRisk)} x2={xOf(summary.valueAtRisk)} y1={0} y2={plotHeight} stroke="#c00" strokeDasharray="4 3" strokeWidth={1.5} />
          <text x={xOf(summary.valueAtRisk) + 3} y={10} fontSize={10} fill="#c00">VaR</text>
        </g>
      )}
      {showThreshold && Number.isFinite(summary.conditionalValueAtRisk) && (
        <g data-line="cvar">
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
  const strategy = view ? live[view.runIndex]?.strategy : undefined;
  const reason = view ? noThresholdReason(strategy, view.score) : undefined;

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
            {live[view.runIndex]?.name ?? `run ${view.runIndex}`}, step {view.step}: coloured by {view.score};
            {' '}kept <strong>{summary.kept}</strong> of {summary.total} tokens;
            {reason
              ? ` mean ${view.score} of the kept tokens ${summary.conditionalValueAtRisk.toFixed(3)}.`
              : ` VaR (smallest kept score) ${summary.valueAtRisk.toFixed(3)}, CVaR (mean kept score) ${summary.conditionalValueAtRisk.toFixed(3)}.`}
            {' '}Outlined tokens were kept; hover a token for its score.
          </p>
          {reason && <p className="note" data-testid="no-threshold">{reason}</p>}
          <Histogram view={view} summary={summary} showThreshold={!reason} />
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
