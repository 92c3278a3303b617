import { useMemo, useState, type ChangeEvent } from 'react';
import { useAction } from '../../api/hooks';
import { Badge, Banner, ProgressBar } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { Page } from '../../components/Page';
import type { App, CsvMapping, ImportFormat, ImportInput, ImportPreview, RowError } from '../../gen/bindings';
import { hrefFor } from '../../state/router';
import { RequireApp } from '../work/RequireApp';
import { FORMATS, guessFormat, guessMapping, MAPPING_FIELDS, parseCsvHeader } from './guess';
import { PreviewTable } from './PreviewTable';
import { useOperation } from './useOperation';

type Step = 'source' | 'mapping' | 'preview' | 'commit';

interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  featuresCreated: number;
  errors: RowError[];
}

const MAX_BYTES = 900 * 1024;

export function ImportPage() {
  return (
    <Page title="Import" subtitle="Turn a task list or an issue export into goals: preview first, nothing is stored until you import." testId="page-import">
      <RequireApp>{(app) => <ImportWizard key={app.id} app={app} />}</RequireApp>
    </Page>
  );
}

function Steps({ step, csv, finished }: { step: Step; csv: boolean; finished: boolean }) {
  const steps: { id: Step; label: string }[] = [
    { id: 'source', label: 'Source' },
    ...(csv ? [{ id: 'mapping' as const, label: 'Columns' }] : []),
    { id: 'preview', label: 'Preview' },
    { id: 'commit', label: 'Import' },
  ];
  const at = finished ? steps.length : steps.findIndex((s) => s.id === step);
  return (
    <ol className="stepper" aria-label="Import steps">
      {steps.map((s, i) => (
        <li key={s.id} className={i < at ? 'done' : i === at ? 'current' : undefined} aria-current={i === at ? 'step' : undefined}>
          <span className="step-num">{i < at ? <Icon name="check" size={12} /> : i + 1}</span>
          {s.label}
        </li>
      ))}
    </ol>
  );
}

function ImportWizard({ app }: { app: App }) {
  const [step, setStep] = useState<Step>('source');
  const [text, setText] = useState('');
  const [filename, setFilename] = useState<string | null>(null);
  const [chosen, setChosen] = useState<ImportFormat | null>(null);
  const [mapping, setMapping] = useState<CsvMapping | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const operation = useOperation();
  const previewing = useAction('import.preview', {
    onSuccess: (p) => {
      setPreview(p);
      setStep('preview');
    },
  });
  const committing = useAction('import.commit', {
    onSuccess: (receipt) => {
      operation.track(receipt);
      setStep('commit');
    },
  });
  const busy = previewing.busy || committing.busy;
  const error = problem ?? (previewing.error ?? committing.error)?.message;

  const guessed = useMemo(() => (text.trim() ? guessFormat(text, filename ?? undefined) : 'markdown'), [text, filename]);
  const format = chosen ?? guessed;
  const headers = useMemo(() => (format === 'csv' ? parseCsvHeader(text.split(/\r?\n/).find((l) => l.trim()) ?? '') : []), [format, text]);

  const input = (): ImportInput => ({ appId: app.id, format, content: text, mapping: format === 'csv' ? mapping : null });

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    if (file.size > MAX_BYTES) {
      setProblem(`${file.name} is larger than 900 KiB, the most one import takes.`);
      return;
    }
    setProblem(null);
    setText(await file.text());
    setFilename(file.name);
    setChosen(null);
  };

  const runPreview = () => {
    setProblem(null);
    void previewing.run(input());
  };

  const next = () => {
    if (!text.trim()) {
      setProblem('Paste some text or choose a file first.');
      return;
    }
    if (format === 'csv') {
      setMapping((m) => (m && headers.includes(m.title) ? m : guessMapping(headers)));
      setProblem(null);
      setStep('mapping');
    } else {
      runPreview();
    }
  };

  const commit = () => {
    setProblem(null);
    void committing.run(input());
  };

  const startOver = () => {
    operation.reset();
    previewing.clearError();
    committing.clearError();
    setPreview(null);
    setText('');
    setFilename(null);
    setChosen(null);
    setMapping(null);
    setStep('source');
  };

  return (
    <div className="import-wizard" data-testid="import-wizard" data-step={step}>
      <Steps step={step} csv={format === 'csv'} finished={operation.receipt?.status === 'succeeded'} />
      {error && (
        <Banner tone="error" testId="import-error">
          {error}
        </Banner>
      )}

      {step === 'source' && (
        <section className="card stack" aria-label="Source">
          <div className="import-source-head">
            <label className="field format-field">
              <span className="field-label">Format</span>
              <select value={format} onChange={(e) => setChosen(e.target.value as ImportFormat)} data-testid="import-format">
                {FORMATS.map((f) => (
                  <option key={f.value} value={f.value}>
                    {f.label}
                    {!chosen && text.trim() && f.value === guessed ? ' (detected)' : ''}
                  </option>
                ))}
              </select>
            </label>
            <p className="muted small format-hint">{FORMATS.find((f) => f.value === format)?.hint}</p>
            <label className="button file-button">
              <Icon name="upload" /> Choose a file…
              <input type="file" accept=".md,.markdown,.txt,.csv,.json,text/*,application/json" onChange={onFile} className="sr-only" data-testid="import-file" />
            </label>
          </div>
          {filename && (
            <p className="small">
              <Icon name="files" size={14} /> <strong>{filename}</strong> <span className="muted">— {text.length.toLocaleString()} characters</span>
            </p>
          )}
          <label className="field">
            <span className="field-label">…or paste the text</span>
            <textarea
              className="code-input import-text"
              rows={14}
              value={text}
              onChange={(e) => {
                setText(e.target.value);
                setFilename(null);
              }}
              placeholder={'# Checkout\n- [ ] Show the basket total\n  The total ignores discounts today.\n- [ ] Pay with a saved card'}
              spellCheck={false}
              data-testid="import-text"
            />
          </label>
          <div className="row">
            <button type="button" className="button primary" onClick={next} disabled={busy || !text.trim()} data-testid="import-next">
              {busy ? 'Reading…' : format === 'csv' ? 'Next: columns' : 'Preview'} <Icon name="arrowRight" />
            </button>
          </div>
        </section>
      )}

      {step === 'mapping' && mapping && (
        <section className="card stack" aria-label="Columns" data-testid="import-mapping">
          <p className="muted">Which column holds what? Columns from the header row of your file.</p>
          <div className="mapping-grid">
            {MAPPING_FIELDS.map((f) => (
              <label key={f.key} className="field">
                <span className="field-label">
                  {f.label}
                  {f.required && <span className="muted"> (required)</span>}
                </span>
                <select
                  value={(mapping[f.key] as string | null | undefined) ?? ''}
                  onChange={(e) => setMapping({ ...mapping, [f.key]: e.target.value || null })}
                  data-testid={`mapping-${f.key}`}
                >
                  {!f.required && <option value="">— not imported —</option>}
                  {headers.map((h) => (
                    <option key={h} value={h}>
                      {h}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </div>
          <div className="row">
            <button type="button" className="button ghost" onClick={() => setStep('source')}>
              ← Back
            </button>
            <button type="button" className="button primary" onClick={runPreview} disabled={busy || !mapping.title} data-testid="import-preview">
              {busy ? 'Reading…' : 'Preview'} <Icon name="arrowRight" />
            </button>
          </div>
        </section>
      )}

      {step === 'preview' && preview && (
        <section className="stack" aria-label="Preview" data-testid="import-preview-step">
          <div className="preview-summary card">
            <div className="preview-counts">
              <span data-testid="count-create">
                <Badge tone="success">create</Badge> <strong>{preview.create}</strong>
              </span>
              <span data-testid="count-update">
                <Badge tone="accent">update</Badge> <strong>{preview.update}</strong>
              </span>
              <span data-testid="count-unchanged">
                <Badge>unchanged</Badge> <strong>{preview.unchanged}</strong>
              </span>
              <span data-testid="count-errors">
                <Badge tone={preview.errors.length ? 'danger' : 'neutral'}>errors</Badge> <strong>{preview.errors.length}</strong>
              </span>
            </div>
            {preview.features.length > 0 && (
              <p className="small">
                Features:{' '}
                {preview.features.map((f, i) => (
                  <span key={f.name}>
                    {i > 0 && ', '}
                    <strong>{f.name}</strong> <span className="muted">({f.goals} goal{f.goals === 1 ? '' : 's'}{f.new ? ', new' : ''})</span>
                  </span>
                ))}
              </p>
            )}
            {preview.errors.length > 0 && <p className="small muted">Rows with errors are left out; fix them in the source and preview again, or import the rest.</p>}
          </div>
          <PreviewTable preview={preview} />
          <div className="row">
            <button type="button" className="button ghost" onClick={() => setStep(format === 'csv' ? 'mapping' : 'source')}>
              ← Back
            </button>
            <button type="button" className="button primary" onClick={commit} disabled={busy || preview.create + preview.update === 0} data-testid="import-commit">
              {busy ? 'Starting…' : `Import ${preview.create + preview.update} goal${preview.create + preview.update === 1 ? '' : 's'}`}
            </button>
            {preview.create + preview.update === 0 && <span className="muted small">Nothing new to import.</span>}
          </div>
        </section>
      )}

      {step === 'commit' && <CommitProgress receipt={operation.receipt} onAgain={startOver} />}
    </div>
  );
}

function CommitProgress({ receipt, onAgain }: { receipt: ReturnType<typeof useOperation>['receipt']; onAgain: () => void }) {
  if (!receipt) return null;
  const summary = receipt.status === 'succeeded' ? (receipt.result as ImportSummary | null) : null;
  return (
    <section className="card stack import-commit" aria-label="Import" data-testid="import-progress" data-status={receipt.status}>
      {receipt.status === 'running' ? (
        <>
          <div className="row">
            <span className="spinner" aria-hidden="true" />
            <strong>Importing…</strong>
            <span className="muted small">{receipt.message ?? ''}</span>
          </div>
          <ProgressBar value={receipt.progress} label="Import progress" testId="import-progress-bar" />
        </>
      ) : receipt.status === 'succeeded' && summary ? (
        <>
          <div className="import-done">
            <span className="import-done-icon">
              <Icon name="check" size={20} />
            </span>
            <div>
              <h2>Imported</h2>
              <p className="muted" data-testid="import-summary">
                {summary.created} created · {summary.updated} updated · {summary.unchanged} unchanged
                {summary.featuresCreated > 0 && ` · ${summary.featuresCreated} new feature${summary.featuresCreated === 1 ? '' : 's'}`}
                {summary.errors.length > 0 && ` · ${summary.errors.length} row${summary.errors.length === 1 ? '' : 's'} skipped`}
              </p>
            </div>
          </div>
          <ProgressBar value={100} label="Import progress" testId="import-progress-bar" />
          <div className="row">
            <a className="button primary" href={hrefFor('goals', [], { sort: 'newest' })} data-testid="import-see-goals">
              See the goals
            </a>
            <a className="button" href={hrefFor('features')}>
              Features
            </a>
            <button type="button" className="button ghost" onClick={onAgain}>
              Import more
            </button>
          </div>
        </>
      ) : (
        <>
          <Banner tone="error">
            The import {receipt.status}
            {receipt.error ? `: ${receipt.error.message}` : '.'}
          </Banner>
          <div className="row">
            <button type="button" className="button" onClick={onAgain}>
              Start over
            </button>
          </div>
        </>
      )}
    </section>
  );
}
