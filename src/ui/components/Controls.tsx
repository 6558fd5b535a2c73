// Start, pause, resume and stop; preparation progress; sharing, export and loading
// results.

import { useState } from 'react';
import type { ValidDraft } from '../config/draft.ts';
import type { WorkerClient } from '../client.ts';
import { downloadText, exportedReport, importedRuns, reportToCsv, ResultsFileError } from '../results-file.ts';
import { saveModels } from '../save-models.ts';
import { useAppStore, type ProgressState } from '../store.ts';
import type { CorpusSource } from '../../worker/protocol.ts';

const STAGE_ORDER = ['corpus', 'tokenize', 'compile'] as const;

function ProgressBar({ state }: { state: ProgressState }) {
  return (
    <div className="progress" data-stage={state.stage}>
      <span>{state.label}</span>
      {state.fraction === null
        ? <progress aria-label={state.label} />
        : <progress aria-label={state.label} max={1} value={state.fraction} />}
    </div>
  );
}

export function Controls({ client, valid, pending, corpusSource }: { client: WorkerClient; valid?: ValidDraft; pending: string[]; corpusSource?: CorpusSource }) {
  const phase = useAppStore((s) => s.phase);
  const progress = useAppStore((s) => s.progress);
  const error = useAppStore((s) => s.error);
  const live = useAppStore((s) => s.live);
  const imported = useAppStore((s) => s.imported);
  const saveMessage = useAppStore((s) => s.saveMessage);
  const deviceReady = useAppStore((s) => s.deviceStatus === 'ready' || s.deviceStatus === 'lost');
  const [fileMessage, setFileMessage] = useState<string>();
  const [copied, setCopied] = useState(false);

  const busy = phase === 'preparing' || phase === 'running' || phase === 'paused';
  const canStart = !busy && valid !== undefined && corpusSource !== undefined && deviceReady;

  const exportAs = async (format: 'json' | 'csv') => {
    const report = exportedReport(await client.exportReport(), live[0]?.genreNames ?? {});
    const stamp = report.createdAt.replaceAll(':', '-').slice(0, 19);
    if (format === 'json') downloadText(`${JSON.stringify(report, null, 2)}\n`, `eslm-results-${stamp}.json`, 'application/json');
    else downloadText(reportToCsv(report), `eslm-results-${stamp}.csv`, 'text/csv');
  };

  const loadResults = async (file: File | undefined) => {
    if (!file) return;
    try {
      const runs = importedRuns(await file.text(), file.name, live.length + imported.length);
      useAppStore.getState().addImported(runs);
      setFileMessage(`Loaded ${runs.length} run${runs.length === 1 ? '' : 's'} from "${file.name}"; their curves are dashed.`);
    } catch (caught) {
      setFileMessage(caught instanceof ResultsFileError ? caught.message : `Reading "${file.name}" failed: ${String(caught)}`);
    }
  };

  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };

  return (
    <section className="controls" aria-label="Controls">
      <div className="buttons">
        <button type="button" className="primary" disabled={!canStart}
          onClick={() => valid && corpusSource && client.start(valid.config, valid.runs, corpusSource, valid.checkpoints)}>Start</button>
        <button type="button" disabled={phase !== 'running'} onClick={() => client.pause()}>Pause</button>
        <button type="button" disabled={phase !== 'paused'} onClick={() => client.resume()}>Resume</button>
        <button type="button" disabled={phase !== 'running' && phase !== 'paused'} onClick={() => client.stop()}>Stop</button>
        <span className="phase" data-phase={phase}>{phase}</span>
        <span className="spacer" />
        <button type="button" onClick={() => void copyLink()} title="The page address contains the whole set-up">{copied ? 'Link copied' : 'Copy link to this set-up'}</button>
        <button type="button" disabled={live.length === 0 || phase === 'preparing'} onClick={() => void exportAs('json')}>Export JSON</button>
        <button type="button" disabled={live.length === 0 || phase === 'preparing'} onClick={() => void exportAs('csv')}>Export CSV</button>
        <button type="button" disabled={live.length === 0 || phase === 'preparing'} onClick={() => void saveModels(client)}
          title="Each run's current model as <run>.safetensors, loadable as a Rho-1 reference or ESLM-KD teacher">Save all models</button>
        <label className="file-button">
          Load results (JSON)
          <input type="file" accept=".json,application/json" data-testid="load-results" onChange={(event) => void loadResults(event.target.files?.[0])} />
        </label>
        {imported.length > 0 && <button type="button" onClick={() => useAppStore.getState().clearImported()}>Remove loaded runs</button>}
      </div>
      {!valid && !busy && pending.length === 0 && <p className="hint">Fix the fields marked in the set-up to start.</p>}
      {!valid && !busy && pending.length > 0 && <p className="hint">{pending.join(' ')}</p>}
      {saveMessage && <p className={saveMessage.error ? 'error' : 'note'} role="status" data-testid="save-message">{saveMessage.text}</p>}
      {fileMessage && <p className="note" role="status" data-testid="results-file-message">{fileMessage}</p>}
      {error && <p className="error" role="alert" data-testid="run-error">{error}</p>}
      {phase === 'preparing' && (
        <div className="progress-list">
          {STAGE_ORDER.map((stage) => progress[stage] && <ProgressBar key={stage} state={progress[stage]!} />)}
        </div>
      )}
    </section>
  );
}
