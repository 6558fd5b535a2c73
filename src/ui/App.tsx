// The playground page: set-up on the left; controls, runs, charts, token view, samples,
// device and explainer on the right. The set-up is mirrored into the page's query
// string so a link reproduces it.

import { useEffect, useMemo } from 'react';
import { userTextShortfall } from '../data/user-text.ts';
import type { CorpusSource } from '../worker/protocol.ts';
import { checkpointContext, validateDraft } from './config/draft.ts';
import { draftToQuery } from './config/url.ts';
import type { WorkerClient } from './client.ts';
import { Charts } from './components/Charts.tsx';
import { Controls } from './components/Controls.tsx';
import { DevicePanel } from './components/DevicePanel.tsx';
import { Explainer } from './components/Explainer.tsx';
import { GenreTable } from './components/GenreTable.tsx';
import { NoWebGpu } from './components/NoWebGpu.tsx';
import { RunsTable } from './components/RunsTable.tsx';
import { Samples } from './components/Samples.tsx';
import { SetupPanel } from './components/SetupPanel.tsx';
import { TokenView } from './components/TokenView.tsx';
import { useAppStore } from './store.ts';

function Log() {
  const logs = useAppStore((s) => s.logs);
  return (
    <details className="log">
      <summary>Log ({logs.length} lines)</summary>
      <pre>{logs.join('\n')}</pre>
    </details>
  );
}

export function App({ client }: { client: WorkerClient }) {
  const deviceStatus = useAppStore((s) => s.deviceStatus);
  const deviceMessage = useAppStore((s) => s.deviceMessage);
  const draft = useAppStore((s) => s.draft);
  const userFile = useAppStore((s) => s.userFile);
  const linkNotes = useAppStore((s) => s.linkNotes);
  const phase = useAppStore((s) => s.phase);

  const context = checkpointContext(draft, userFile);
  const { errors, pending, valid } = useMemo(() => validateDraft(draft, { checkpointContext: context }), [draft, context]);
  const corpusSource = useMemo((): CorpusSource | undefined => {
    if (!valid) return undefined;
    if (valid.corpus === 'user') {
      if (!userFile || userTextShortfall(userFile.text, valid.config.seqLen) > 0) return undefined;
      return { kind: 'user', name: userFile.name, text: userFile.text };
    }
    return { kind: valid.corpus };
  }, [valid, userFile]);

  // Checks every checkpoint file not yet checked against the current corpus and tokenizer.
  useEffect(() => {
    let corpus: CorpusSource | undefined;
    if (draft.corpus === 'brown' || draft.corpus === 'nlp-corpus') corpus = { kind: draft.corpus };
    else if (draft.corpus === 'user' && userFile) corpus = { kind: 'user', name: userFile.name, text: userFile.text };
    for (const run of draft.runs) {
      if (run.checkpoint && run.checkpoint.checkedFor !== context) client.checkCheckpoint(run.checkpoint, context, draft.tokenizer, corpus);
    }
  }, [client, draft, userFile, context]);

  useEffect(() => {
    const query = draftToQuery(draft);
    if (window.location.search.slice(1) !== query) window.history.replaceState(null, '', `?${query}${window.location.hash}`);
  }, [draft]);

  if (deviceStatus === 'unavailable') return <NoWebGpu reason={deviceMessage ?? 'no WebGPU adapter'} />;
  const locked = phase === 'preparing' || phase === 'running' || phase === 'paused';

  return (
    <div className="app">
      <header>
        <h1>ESLM Playground</h1>
        <p>Train small GPT-2 models in your browser on WebGPU and compare selective training (ESLM) with ordinary training (CLM), live.</p>
      </header>
      <div className="layout">
        <aside>
          {linkNotes.map((note) => <p key={note} className="warning" role="note">{note}</p>)}
          <SetupPanel errors={errors} pending={pending} locked={locked} />
        </aside>
        <main>
          <Controls client={client} valid={valid} pending={Object.values(pending)} corpusSource={corpusSource} />
          <RunsTable client={client} />
          <Charts />
          <GenreTable />
          <TokenView client={client} />
          <Samples client={client} />
          <DevicePanel />
          <Explainer />
          <Log />
        </main>
      </div>
    </div>
  );
}
