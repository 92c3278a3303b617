import { useState } from 'react';
import { useAction } from '../api/hooks';
import type { CreateGoalInput, WorkflowState } from '../gen/bindings';
import { useFeatures, useReporters } from '../routes/work/hooks';
import { useApps } from '../state/appsContext';
import { useIdentity } from '../state/identity';
import { hrefFor, navigateHref } from '../state/router';
import type { NewGoalDefaults } from '../state/uiActions';
import { Dialog } from './Dialog';
import { Icon } from './Icon';
import { useToast } from './toastContext';

function parseLabels(text: string): string[] {
  return [...new Set(text.split(',').map((l) => l.trim()).filter(Boolean))];
}

/** "New goal" (the `n` key, the palette, the pages' buttons). The reporter defaults to you. */
export function NewGoalDialog({ defaults, onClose }: { defaults: NewGoalDefaults; onClose: () => void }) {
  const toast = useToast();
  const { active } = useApps();
  const identity = useIdentity();
  const me = identity?.kind === 'reporter' ? identity.id : null;
  const appId = active?.id ?? '';
  const features = useFeatures(appId);
  const reporters = useReporters();
  const [title, setTitle] = useState('');
  const [prompt, setPrompt] = useState('');
  const [status, setStatus] = useState<WorkflowState>('backlog');
  const [priority, setPriority] = useState('0');
  const [featureId, setFeatureId] = useState(defaults.featureId ?? '');
  const [labels, setLabels] = useState('');
  const [assignee, setAssignee] = useState('');
  const [reporterId, setReporterId] = useState(me ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const create = useAction(({ input }: { input: CreateGoalInput; open: boolean }, call) => call('goals.create', input), {
    onSuccess: (goal, { open }) => {
      toast.show('success', `Created #${goal.number}`, goal.title);
      onClose();
      if (open) navigateHref(hrefFor('goals', [goal.id]));
    },
  });
  const busy = create.busy;
  const error = problem ?? create.error?.message;

  const submit = (open: boolean) => {
    const prio = Number(priority);
    const invalid = !title.trim() ? 'A goal needs a title' : !Number.isInteger(prio) ? 'The priority is a whole number' : null;
    setProblem(invalid);
    if (invalid) return;
    const input: CreateGoalInput = {
      appId,
      title: title.trim(),
      prompt: prompt || null,
      status,
      priority: prio,
      featureId: featureId || null,
      labels: parseLabels(labels),
      assignee: assignee.trim() || null,
      reporterId: reporterId || null,
    };
    void create.run({ input, open });
  };

  return (
    <Dialog
      title="New goal"
      onClose={onClose}
      testId="new-goal-dialog"
      wide
      footer={
        <>
          <span className="muted small dialog-hint">
            <kbd>Ctrl</kbd> <kbd>Enter</kbd> create
          </span>
          <button type="button" className="button ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button" onClick={() => submit(true)} disabled={busy || !active} data-testid="new-goal-create-open">
            Create and open
          </button>
          <button type="submit" form="new-goal-form" className="button primary" disabled={busy || !active} data-testid="new-goal-create">
            <Icon name="plus" /> {busy ? 'Creating…' : 'Create goal'}
          </button>
        </>
      }
    >
      {!active ? (
        <p className="muted">Choose an app first: goals belong to an app.</p>
      ) : (
        <form
          id="new-goal-form"
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void submit(false);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void submit(false);
            }
          }}
        >
          <label className="field">
            <span className="field-label">Title</span>
            <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={300} placeholder="What should change, in a few words" autoFocus data-testid="new-goal-title" />
          </label>
          <label className="field">
            <span className="field-label">
              Prompt <span className="muted small">Markdown: what exists, and what should exist</span>
            </span>
            <textarea className="prose-input" rows={6} value={prompt} onChange={(e) => setPrompt(e.target.value)} data-testid="new-goal-prompt" />
          </label>
          <div className="form-grid">
            <label className="field">
              <span className="field-label">Start in</span>
              <select value={status} onChange={(e) => setStatus(e.target.value as WorkflowState)} data-testid="new-goal-status">
                <option value="backlog">Backlog</option>
                <option value="todo">Todo (queued)</option>
              </select>
            </label>
            <label className="field">
              <span className="field-label">Priority</span>
              <input type="number" step={1} value={priority} onChange={(e) => setPriority(e.target.value)} data-testid="new-goal-priority" />
            </label>
            <label className="field">
              <span className="field-label">Feature</span>
              <select value={featureId} onChange={(e) => setFeatureId(e.target.value)} data-testid="new-goal-feature">
                <option value="">No feature</option>
                {(features.data ?? []).map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span className="field-label">Labels</span>
              <input value={labels} onChange={(e) => setLabels(e.target.value)} placeholder="ui, billing" data-testid="new-goal-labels" />
            </label>
            <label className="field">
              <span className="field-label">Assignee</span>
              <input value={assignee} onChange={(e) => setAssignee(e.target.value)} placeholder="optional" data-testid="new-goal-assignee" />
            </label>
            <label className="field">
              <span className="field-label">Reporter</span>
              <select value={reporterId} onChange={(e) => setReporterId(e.target.value)} data-testid="new-goal-reporter">
                <option value="">Nobody</option>
                {identity?.kind === 'reporter' && !(reporters.data ?? []).some((r) => r.id === identity.id) && <option value={identity.id}>{identity.name} (you)</option>}
                {(reporters.data ?? []).map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                    {r.id === me ? ' (you)' : ''}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {error && (
            <p className="field-error" role="alert" data-testid="new-goal-error">
              {error}
            </p>
          )}
        </form>
      )}
    </Dialog>
  );
}
