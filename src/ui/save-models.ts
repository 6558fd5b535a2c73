// "Save model": reads the runs' current models from the worker and offers each as a
// `<run>.safetensors` download, which Rho-1 and ESLM-KD runs can load as their
// reference or teacher.

import type { WorkerClient } from './client.ts';
import { downloadBytes } from './results-file.ts';
import { useAppStore } from './store.ts';

/** File name of a run's checkpoint: the run name with characters unsafe in file names replaced by `_`. */
export function checkpointFileName(runName: string): string {
  return `${runName.replace(/[^A-Za-z0-9._@-]/g, '_')}.safetensors`;
}

/**
 * Downloads the checkpoints of the named runs, or of every run without names, and
 * reports the outcome in the store's saveMessage.
 */
export async function saveModels(client: WorkerClient, runNames?: readonly string[]): Promise<void> {
  useAppStore.setState({ saveMessage: { text: 'Reading the models from the GPU…', error: false } });
  let files: Record<string, Uint8Array>;
  try {
    // NOTE: the engine saves every run at once; a single run's button discards the others.
    files = await client.saveCheckpoints();
  } catch (error) {
    useAppStore.setState({ saveMessage: { text: error instanceof Error ? error.message : String(error), error: true } });
    return;
  }
  const names = runNames ?? Object.keys(files);
  const saved: string[] = [];
  for (const name of names) {
    const bytes = files[name];
    if (!bytes) {
      const text = `no model named "${name}" in the experiment; its runs are ${Object.keys(files).join(', ')}`;
      useAppStore.setState({ saveMessage: { text, error: true } });
      return;
    }
    const fileName = checkpointFileName(name);
    downloadBytes(bytes as Uint8Array<ArrayBuffer>, fileName);
    saved.push(`${fileName} (${(bytes.byteLength / 2 ** 20).toFixed(2)} MiB)`);
  }
  useAppStore.setState({ saveMessage: { text: `Saved ${saved.join(', ')}.`, error: false } });
}
