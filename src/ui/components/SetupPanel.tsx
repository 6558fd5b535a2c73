// The set-up form: preset, corpus, model, optimisation and the strategies to run, each
// field with its validation message beside it.

import { useState, type DragEvent, type ReactNode } from 'react';
import { PRESET_NAMES } from '../../train/presets.ts';
import { LR_SCHEDULES, STRATEGIES, TOKENIZERS } from '../../train/types.ts';
import { decodeUserText, userTextShortfall, UserTextError } from '../../data/user-text.ts';
import {
  draftFromPreset, isPresetName, withStrategyOptions, type CorpusChoice, type Draft, type DraftErrors, type DraftRun, type NumericField,
} from '../config/draft.ts';
import { useAppStore } from '../store.ts';
import { RUN_OPTION_INFO, STRATEGY_INFO, strategyInfo } from '../strategies.ts';

const CORPUS_LABELS: Record<CorpusChoice, string> = {
  brown: 'Brown corpus (500 documents, 15 genres)',
  'nlp-corpus': 'nlp-corpus (30,000 mixed English sentences)',
  user: 'My own text file',
};

function Field(props: { id: string; label: string; error?: string; hint?: string; children: ReactNode }) {
  return (
    <div className={`field${props.error ? ' invalid' : ''}`}>
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.hint && !props.error && <small className="hint">{props.hint}</small>}
      {props.error && <small className="error" id={`${props.id}-error`} role="alert" data-error-for={props.id}>{props.error}</small>}
    </div>
  );
}

function NumberField(props: { field: NumericField; label: string; draft: Draft; errors: DraftErrors; hint?: string; disabled: boolean; onChange: (field: NumericField, value: string) => void }) {
  const id = `field-${props.field}`;
  return (
    <Field id={id} label={props.label} error={props.errors[props.field]} hint={props.hint}>
      <input
        id={id}
        name={props.field}
        inputMode="decimal"
        value={props.draft[props.field]}
        disabled={props.disabled}
        aria-invalid={Boolean(props.errors[props.field])}
        onChange={(event) => props.onChange(props.field, event.target.value)}
      />
    </Field>
  );
}

async function readUserFile(file: File, seqLen: number): Promise<{ name: string; text: string } | string> {
  try {
    const text = decodeUserText(await file.arrayBuffer(), file.name);
    const needed = userTextShortfall(text, seqLen);
    if (needed > 0) return `The file "${file.name}" has ${text.length} characters; training with sequence length ${seqLen} needs at least ${needed}.`;
    return { name: file.name, text };
  } catch (error) {
    if (error instanceof UserTextError) return error.message;
    return `Reading "${file.name}" failed: ${String(error)}`;
  }
}

/** Ids of chosen checkpoint files, unique for the page's life. */
let nextCheckpointFileId = 1;

/** Renders one strategy row: strategy, α, the strategy's options and, for Rho-1 and ESLM-KD, the model file. */
function RunRow(props: {
  run: DraftRun;
  index: number;
  errors: DraftErrors;
  pending: Record<string, string>;
  locked: boolean;
  onChange: (run: DraftRun) => void;
  onRemove: () => void;
}) {
  const { run, index: i, errors, pending, locked, onChange } = props;
  const info = strategyInfo(run.strategy);
  let alphaHint: string | undefined;
  if (info?.usesAlpha) alphaHint = `score: ${info.score}`;
  else if (info) alphaHint = 'keeps every token';

  const chooseCheckpoint = async (file: File | undefined) => {
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    onChange({ ...run, checkpoint: { id: nextCheckpointFileId++, fileName: file.name, bytes } });
  };
  const checkpointKey = `runs.${i}.checkpoint`;
  const check = run.checkpoint?.check;
  const checkpointHint = pending[checkpointKey] ?? (check?.ok ? `"${run.checkpoint!.fileName}": ${check.summary}` : undefined);

  return (
    <div className="run" data-run-row={i}>
      <div className="run-row">
        <Field id={`field-runs-${i}-strategy`} label={`Run ${i + 1}`} error={errors[`runs.${i}.strategy`]}>
          <select id={`field-runs-${i}-strategy`} value={run.strategy}
            onChange={(event) => onChange(withStrategyOptions({ ...run, strategy: event.target.value }))}>
            {STRATEGIES.map((name) => <option key={name} value={name}>{STRATEGY_INFO[name].label}</option>)}
            {!info && <option value={run.strategy}>{run.strategy} (unknown)</option>}
          </select>
        </Field>
        <Field id={`field-runs-${i}-alpha`} label="α" error={errors[`runs.${i}.alpha`]} hint={alphaHint}>
          <input id={`field-runs-${i}-alpha`} inputMode="decimal" value={run.alpha} disabled={locked || (info !== undefined && !info.usesAlpha)}
            onChange={(event) => onChange({ ...run, alpha: event.target.value })} />
        </Field>
        <button type="button" className="remove" aria-label={`Remove run ${i + 1}`} onClick={props.onRemove}>×</button>
      </div>
      {info && info.options.length > 0 && (
        <div className="grid run-options">
          {info.options.map((field) => {
            const id = `field-runs-${i}-${field}`;
            return (
              <Field key={field} id={id} label={RUN_OPTION_INFO[field].label} error={errors[`runs.${i}.${field}`]} hint={RUN_OPTION_INFO[field].hint}>
                <input id={id} inputMode="decimal" value={run[field] ?? ''} disabled={locked}
                  onChange={(event) => onChange({ ...run, [field]: event.target.value })} />
              </Field>
            );
          })}
        </div>
      )}
      {info?.frozenModel && (
        <Field id={`field-runs-${i}-checkpoint`} label={`${info.frozenModel === 'reference' ? 'Reference' : 'Teacher'} model (.safetensors)`}
          error={errors[checkpointKey]} hint={checkpointHint}>
          <input id={`field-runs-${i}-checkpoint`} type="file" accept=".safetensors" data-testid={`checkpoint-file-${i}`} disabled={locked}
            onChange={(event) => void chooseCheckpoint(event.target.files?.[0])} />
        </Field>
      )}
    </div>
  );
}

export function SetupPanel(props: { errors: DraftErrors; pending: Record<string, string>; locked: boolean }) {
  const draft = useAppStore((s) => s.draft);
  const setDraft = useAppStore((s) => s.setDraft);
  const userFile = useAppStore((s) => s.userFile);
  const userFileError = useAppStore((s) => s.userFileError);
  const setUserFile = useAppStore((s) => s.setUserFile);
  const cachedCorpora = useAppStore((s) => s.cachedCorpora);
  const [dragging, setDragging] = useState(false);
  const { errors, locked } = props;

  const update = (patch: Partial<Draft>) => {
    const preset = draft.preset;
    setDraft({ ...draft, ...patch, preset: 'preset' in patch ? patch.preset! : isPresetName(preset) ? 'custom' : preset });
  };
  const updateNumber = (field: NumericField, value: string) => update({ [field]: value });
  const choosePreset = (name: string) => {
    if (isPresetName(name)) setDraft({ ...draftFromPreset(name, draft.corpus as CorpusChoice, draft.runs), preset: name });
  };
  const takeFile = async (file: File | undefined) => {
    if (!file) return;
    const result = await readUserFile(file, Number(draft.seqLen) || 1);
    if (typeof result === 'string') setUserFile(undefined, result);
    else setUserFile(result, undefined);
    update({ corpus: 'user' });
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void takeFile(event.dataTransfer.files[0]);
  };
  const corpusError = errors.corpus ?? (draft.corpus === 'user' ? userFileError ?? (userFile ? undefined : 'Choose or drop a UTF-8 text file to train on.') : undefined);

  return (
    <form className="setup" aria-label="Set-up" onSubmit={(event) => event.preventDefault()}>
      <fieldset disabled={locked}>
        <legend>Preset</legend>
        <div className="presets" role="radiogroup" aria-label="Preset">
          {PRESET_NAMES.map((name) => (
            <button key={name} type="button" role="radio" aria-checked={draft.preset === name}
              className={draft.preset === name ? 'chosen' : ''} data-preset={name} onClick={() => choosePreset(name)}>{name}</button>
          ))}
          {!isPresetName(draft.preset) && <span className="custom">custom</span>}
        </div>
      </fieldset>

      <fieldset disabled={locked}>
        <legend>Corpus</legend>
        <Field id="field-corpus" label="Training text" error={corpusError}
          hint={draft.corpus in cachedCorpora ? `Loaded: ${cachedCorpora[draft.corpus as 'brown']} documents, available offline.` : undefined}>
          <select id="field-corpus" name="corpus" value={draft.corpus} onChange={(event) => update({ corpus: event.target.value })}>
            {(Object.keys(CORPUS_LABELS) as CorpusChoice[]).map((name) => <option key={name} value={name}>{CORPUS_LABELS[name]}</option>)}
            {!(draft.corpus in CORPUS_LABELS) && <option value={draft.corpus}>{draft.corpus} (unknown)</option>}
          </select>
        </Field>
        {draft.corpus === 'user' && (
          <div className={`dropzone${dragging ? ' dragging' : ''}`} data-testid="dropzone"
            onDragOver={(event) => { event.preventDefault(); setDragging(true); }}
            onDragLeave={() => setDragging(false)} onDrop={onDrop}>
            <p>{userFile ? `Using "${userFile.name}" (${userFile.text.length.toLocaleString()} characters).` : 'Drop a UTF-8 text file here, or'}</p>
            <input type="file" aria-label="Text file" accept=".txt,.md,.csv,text/*" data-testid="user-file"
              onChange={(event) => void takeFile(event.target.files?.[0])} />
          </div>
        )}
        <Field id="field-tokenizer" label="Tokenizer" error={errors.tokenizer}>
          <select id="field-tokenizer" name="tokenizer" value={draft.tokenizer} onChange={(event) => update({ tokenizer: event.target.value })}>
            {TOKENIZERS.map((name) => <option key={name} value={name}>{name === 'char' ? 'characters' : 'GPT-2 BPE (50,257 tokens)'}</option>)}
            {!(TOKENIZERS as readonly string[]).includes(draft.tokenizer) && <option value={draft.tokenizer}>{draft.tokenizer} (unknown)</option>}
          </select>
        </Field>
      </fieldset>

      <fieldset disabled={locked}>
        <legend>Model</legend>
        <div className="grid">
          <NumberField field="nLayer" label="Layers" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <NumberField field="nHead" label="Heads" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <NumberField field="nEmbd" label="Width" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <NumberField field="blockSize" label="Context" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
        </div>
      </fieldset>

      <fieldset disabled={locked}>
        <legend>Training</legend>
        <div className="grid">
          <NumberField field="batchSize" label="Batch size B" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <NumberField field="seqLen" label="Sequence length T" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <NumberField field="steps" label="Steps" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <NumberField field="seed" label="Seed" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <NumberField field="lr" label="Learning rate" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <NumberField field="warmupSteps" label="Warm-up steps" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <Field id="field-schedule" label="Schedule" error={errors.schedule}>
            <select id="field-schedule" name="schedule" value={draft.schedule} onChange={(event) => update({ schedule: event.target.value })}>
              {LR_SCHEDULES.map((name) => <option key={name} value={name}>{name}</option>)}
              {!(LR_SCHEDULES as readonly string[]).includes(draft.schedule) && <option value={draft.schedule}>{draft.schedule} (unknown)</option>}
            </select>
          </Field>
          <NumberField field="evalEvery" label="Evaluate every (steps)" hint="0: at start and end only" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <NumberField field="evalWindowsPerGenre" label="Validation windows per genre" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <NumberField field="metricsEvery" label="Metrics every (steps)" draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
          <NumberField field="microBatches" label="Micro-batches" hint="splits B for the backward; selection stays over the whole batch"
            draft={draft} errors={errors} disabled={locked} onChange={updateNumber} />
        </div>
      </fieldset>

      <fieldset disabled={locked}>
        <legend>Strategies</legend>
        {errors.runs && <small className="error" role="alert" data-error-for="runs">{errors.runs}</small>}
        {draft.runs.map((run, i) => (
          <RunRow key={i} run={run} index={i} errors={errors} pending={props.pending} locked={locked}
            onChange={(changed) => update({ runs: draft.runs.map((r, j) => (j === i ? changed : r)) })}
            onRemove={() => update({ runs: draft.runs.filter((_, j) => j !== i) })} />
        ))}
        <button type="button" onClick={() => update({ runs: [...draft.runs, { strategy: 'eslm-entropy', alpha: '0.5' }] })}>Add a run</button>
      </fieldset>
    </form>
  );
}
