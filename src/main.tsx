// Entry of index.html: restores a shared set-up from the query string, starts the
// training worker and renders the app, or a page saying WebGPU is missing.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { WorkerClient } from './ui/client.ts';
import { draftFromQuery } from './ui/config/url.ts';
import { App } from './ui/App.tsx';
import { useAppStore } from './ui/store.ts';
import './ui/styles.css';

const fromLink = draftFromQuery(window.location.search);
if (fromLink) useAppStore.setState({ draft: fromLink.draft, linkNotes: fromLink.notes });

const client = new WorkerClient();
if (!('gpu' in navigator)) {
  useAppStore.setState({
    deviceStatus: 'unavailable',
    deviceMessage: window.isSecureContext
      ? 'navigator.gpu is missing: this browser has WebGPU switched off or does not support it.'
      : 'navigator.gpu is missing because the page is not a secure context (https or localhost).',
  });
} else {
  client.probe();
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App client={client} />
  </StrictMode>,
);
