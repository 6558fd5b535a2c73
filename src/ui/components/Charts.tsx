// Live charts of every run on shared axes. Each chart reads the store's run series
// (updated a few times a second by WorkerClient) and tags each legend entry with the
// number of points drawn per run and the last value, which the end-to-end tests read.

import { memo, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis as RechartsXAxis, YAxis } from 'recharts';
import {
  flopsSaved, genreLabel, selectedRatio, stepSeries, thinPoints, tokensPerSecond, validationPerplexity, worstGenrePerplexity, X_AXIS_LABELS,
  type ChartSeries,
} from '../series.ts';
import { useAppStore, X_AXES, type RunSeries, type XAxis } from '../store.ts';

function compact(value: number): string {
  if (!Number.isFinite(value)) return '';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e9) return `${(value / 1e9).toPrecision(3)}G`;
  if (magnitude >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (magnitude >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
  return Number(value.toPrecision(3)).toString();
}

interface ChartProps {
  id: string;
  title: string;
  help: string;
  xAxis: XAxis;
  series: ChartSeries[];
  yDomain?: [number | 'auto', number | 'auto'];
  empty?: string;
}

const MetricChart = memo(function MetricChart({ id, title, help, xAxis, series, yDomain, empty }: ChartProps) {
  const drawn = series.filter((s) => s.points.length > 0);
  return (
    <figure className="chart" data-chart={id} data-series-count={drawn.length}>
      <figcaption>
        <strong>{title}</strong>
        <span className="help">{help}</span>
      </figcaption>
      <div className="plot">
        {drawn.length === 0 ? (
          <p className="empty">{empty ?? 'No points yet.'}</p>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <LineChart margin={{ top: 8, right: 12, bottom: 4, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#ddd" />
              <RechartsXAxis type="number" dataKey="x" domain={['dataMin', 'dataMax']} tickFormatter={compact} fontSize={11}
                allowDuplicatedCategory={false} label={{ value: X_AXIS_LABELS[xAxis], position: 'insideBottomRight', offset: -2, fontSize: 11 }} height={30} />
              <YAxis type="number" domain={yDomain ?? ['auto', 'auto']} tickFormatter={compact} fontSize={11} width={48} />
              <Tooltip formatter={(value) => (typeof value === 'number' ? value.toPrecision(4) : String(value))}
                labelFormatter={(label) => `${X_AXIS_LABELS[xAxis]} ${compact(Number(label))}`} />
              {drawn.map((s) => (
                <Line key={s.key} name={s.name} data={s.points} dataKey="y" type="linear" stroke={s.color} strokeWidth={2}
                  strokeDasharray={s.dashed ? '5 4' : undefined} dot={false} isAnimationActive={false} />
              ))}
            </LineChart>
          </ResponsiveContainer>
        )}
      </div>
      <ul className="legend">
        {series.map((s) => (
          <li key={s.key} data-series={s.name} data-points={s.points.length} data-last-y={s.points.at(-1)?.y}>
            <span className="swatch" style={{ background: s.color, opacity: s.dashed ? 0.6 : 1 }} />
            {s.name}
            {s.latest !== undefined && <span className="latest" data-latest>{s.latest}</span>}
          </li>
        ))}
      </ul>
    </figure>
  );
});

function lastOf<T>(items: readonly T[]): T | undefined {
  return items[items.length - 1];
}

function series(run: RunSeries, points: ChartSeries['points'], latest?: string, suffix = '', dashed = run.imported): ChartSeries {
  return { key: run.key + suffix, name: run.name + suffix, color: run.color, dashed, points: thinPoints(points), latest };
}

/** Maps each experiment group to its CLM run, against which FLOPs saved are measured. */
function clmByGroup(runs: readonly RunSeries[]): Map<string, RunSeries> {
  const map = new Map<string, RunSeries>();
  for (const run of runs) if (run.strategy === 'clm' && !map.has(run.group)) map.set(run.group, run);
  return map;
}

export function Charts() {
  const live = useAppStore((s) => s.live);
  const imported = useAppStore((s) => s.imported);
  const xAxis = useAppStore((s) => s.xAxis);
  const setXAxis = useAppStore((s) => s.setXAxis);

  const charts = useMemo(() => {
    const runs = [...live, ...imported];
    const clms = clmByGroup(runs);
    const loss = runs.map((run) => series(run, stepSeries(run, xAxis, (r) => r.trainLoss), lastOf(run.steps)?.trainLoss.toFixed(4)));
    const perplexity = runs.map((run) => series(run, validationPerplexity(run, xAxis), lastOf(run.evals)?.valPerplexity.toFixed(3)));
    const ratio = runs.map((run) => {
      const last = lastOf(run.steps);
      const latest = last ? `${last.keptTokens}/${last.totalTokens} = ${selectedRatio(last).toFixed(4)}` : undefined;
      return series(run, stepSeries(run, xAxis, selectedRatio), latest);
    });
    const worst = runs.map((run) => {
      const last = lastOf(run.evals);
      const latest = last && typeof last.worstGenrePerplexity === 'number'
        ? `${genreLabel(run, last.worstGenre)} ${last.worstGenrePerplexity.toFixed(3)}`
        : undefined;
      return series(run, worstGenrePerplexity(run, xAxis), latest);
    });
    // Each step's own α: constant for most strategies, adapted by Ada-ESLM.
    const alpha = runs.map((run) => {
      const last = lastOf(run.steps);
      return series(run, stepSeries(run, xAxis, (r) => r.alpha), last && Number(last.alpha.toFixed(4)).toString());
    });
    const saved: ChartSeries[] = [];
    for (const run of runs) {
      const clm = clms.get(run.group);
      if (!clm) continue;
      const executed = flopsSaved(run, clm, xAxis, 'executed');
      const nominal = flopsSaved(run, clm, xAxis, 'nominal');
      saved.push(series(run, executed, lastOf(executed) && `${(lastOf(executed)!.y * 100).toFixed(1)} %`, ' executed', false));
      saved.push(series(run, nominal, lastOf(nominal) && `${(lastOf(nominal)!.y * 100).toFixed(1)} %`, ' nominal', true));
    }
    const speed = runs.map((run) => {
      const points = stepSeries(run, xAxis, tokensPerSecond);
      return series(run, points, lastOf(points) && `${Math.round(lastOf(points)!.y).toLocaleString()} tok/s`);
    });
    return { loss, perplexity, worst, ratio, alpha, saved, speed };
  }, [live, imported, xAxis]);

  return (
    <section className="charts-panel" aria-label="Charts">
      <div className="x-axis-switch" role="radiogroup" aria-label="x-axis">
        <span>x-axis:</span>
        {X_AXES.map((axis) => (
          <label key={axis}>
            <input type="radio" name="x-axis" value={axis} checked={xAxis === axis} onChange={() => setXAxis(axis)} />
            {X_AXIS_LABELS[axis]}
          </label>
        ))}
      </div>
      <div className="charts">
        <MetricChart id="train-loss" title="Training loss" xAxis={xAxis} series={charts.loss}
          help="Mean cross-entropy over all M tokens of each batch, so runs are comparable whatever they kept." />
        <MetricChart id="val-perplexity" title="Validation perplexity" xAxis={xAxis} series={charts.perplexity}
          help="exp(mean loss) on held-out documents, every token counted." />
        <MetricChart id="worst-genre" title="Worst-genre validation perplexity" xAxis={xAxis} series={charts.worst}
          help="Validation perplexity of the genre with the highest perplexity at each evaluation: the distributional worst case that ESLM claims to improve." />
        <MetricChart id="selected-ratio" title="Selected-token ratio" xAxis={xAxis} series={charts.ratio} yDomain={[0, 1]}
          help="k/M: share of tokens that receive the backward pass. 1 for CLM, about 1 − α for ESLM." />
        <MetricChart id="alpha" title="α over time" xAxis={xAxis} series={charts.alpha} yDomain={[0, 1]}
          help="Confidence level α of each step: constant for most strategies, adapted within [α min, α max] by Ada-ESLM." />
        <MetricChart id="flops-saved" title="FLOPs saved against CLM" xAxis={xAxis} series={charts.saved}
          empty="Needs a CLM run in the same experiment."
          help="1 − cumulative FLOPs / CLM's at the same step: executed (kernels run, solid) and nominal (2N forward + 4N backward on kept tokens, dashed)." />
        <MetricChart id="tokens-per-second" title="Tokens per second" xAxis={xAxis} series={charts.speed}
          help="M tokens over the GPU queue time of each step." />
      </div>
    </section>
  );
}
