import { useState } from 'react';
import { useAction } from '../../api/hooks';
import { Banner } from '../../components/Feedback';
import { useToast } from '../../components/toastContext';
import type { Feature, Goal, Reporter, UpdateGoalInput } from '../../gen/bindings';
import { usePutGoal } from './useGoal';

interface Form {
  title: string;
  prompt: string;
  notes: string;
  priority: string;
  labels: string;
  assignee: string;
  reporterId: string;
  featureId: string;
  /** '' = the app's setting, else 1-5. */
  candidates: string;
}

function formOf(g: Goal): Form {
  return {
    title: g.title,
    prompt: g.prompt,
    notes: g.notes,
    priority: String(g.priority),
    labels: g.labels.join(', '),
    assignee: g.assignee ?? '',
    reporterId: g.reporterId ?? '',
    featureId: g.featureId ?? '',
    candidates: g.candidates === null ? '' : String(g.candidates),
  };
}

export function parseLabels(text: string): string[] {
  return [...new Set(text.split(',').map((l) => l.trim()).filter(Boolean))];
}

/** Only the fields that changed; `null` clears reporter, assignee and feature. */
function patchOf(g: Goal, f: Form): Omit<UpdateGoalInput, 'id'> | string {
  const patch: Omit<UpdateGoalInput, 'id'> = {};
  if (!f.title.trim()) return 'The title is required';
  if (f.title.trim() !== g.title) patch.title = f.title.trim();
  if (f.prompt !== g.prompt) patch.prompt = f.prompt;
  if (f.notes !== g.notes) patch.notes = f.notes;
  const priority = Number(f.priority);
  if (!Number.isInteger(priority)) return 'The priority is a whole number';
  if (priority !== g.priority) patch.priority = priority;
  const labels = parseLabels(f.labels);
  if (labels.join('\n') !== g.labels.join('\n')) patch.labels = labels;
  if (f.assignee.trim() !== (g.assignee ?? '')) patch.assignee = f.assignee.trim() || null;
  if (f.reporterId !== (g.reporterId ?? '')) patch.reporterId = f.reporterId || null;
  if (f.featureId !== (g.featureId ?? '')) patch.featureId = f.featureId || null;
  const candidates = f.candidates === '' ? null : Number(f.candidates);
  if (candidates !== g.candidates) patch.candidates = candidates;
  return patch;
}

/** Edit a Goal's words and fields; saves a partial patch of what changed. */
export function GoalEditor({ goal, features, reporters }: { goal: Goal; features: Feature[]; reporters: Reporter[] }) {
  const toast = useToast();
  const [form, setForm] = useState<Form>(() => formOf(goal));
  const [base, setBase] = useState<Goal>(goal);
  const [problem, setProblem] = useState<string | null>(null);
  const putGoal = usePutGoal();
  const update = useAction('goals.update', {
    onSuccess: (saved) => {
      setBase(saved);
      setForm(formOf(saved));
      putGoal(saved);
      toast.show('success', `Saved #${saved.number}`);
    },
  });
  const saving = update.busy;
  const error = problem ?? update.error?.message;

  const pending = patchOf(base, form);
  const dirty = typeof pending === 'string' || Object.keys(pending).length > 0;
  // Follow changes made elsewhere while nothing is being edited here.
  const stale = goal.updatedAt !== base.updatedAt;
  if (stale && !dirty) {
    setBase(goal);
    setForm(formOf(goal));
  }

  const set = <K extends keyof Form>(field: K, value: Form[K]) => setForm((f) => ({ ...f, [field]: value }));

  const save = () => {
    // Only what was edited here, so changes made elsewhere to other fields stay.
    const patch = patchOf(base, form);
    setProblem(typeof patch === 'string' ? patch : null);
    if (typeof patch === 'string') return;
    if (Object.keys(patch).length === 0) {
      setBase(goal);
      return;
    }
    void update.run({ id: goal.id, ...patch });
  };

  const reporterKnown = !form.reporterId || reporters.some((r) => r.id === form.reporterId);

  return (
    <form
      className="card goal-editor"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
      aria-label="Edit goal"
      data-testid="goal-editor"
    >
      {stale && dirty && (
        <Banner
          tone="warning"
          action={
            <button type="button" className="button small" onClick={() => { setBase(goal); setForm(formOf(goal)); }}>
              Discard my edits
            </button>
          }
        >
          This goal was changed elsewhere while you were editing. Saving keeps your edits for the fields you changed.
        </Banner>
      )}
      <label className="field">
        <span className="field-label">Title</span>
        <input value={form.title} onChange={(e) => set('title', e.target.value)} maxLength={300} required data-testid="edit-title" />
      </label>
      <label className="field">
        <span className="field-label">
          Prompt <span className="muted small">Markdown: what exists, and what should exist</span>
        </span>
        <textarea className="prose-input" rows={9} value={form.prompt} onChange={(e) => set('prompt', e.target.value)} data-testid="edit-prompt" />
      </label>
      <label className="field">
        <span className="field-label">Notes</span>
        <textarea rows={3} value={form.notes} onChange={(e) => set('notes', e.target.value)} data-testid="edit-notes" />
      </label>
      <div className="form-grid">
        <label className="field">
          <span className="field-label">Priority</span>
          <input type="number" step={1} value={form.priority} onChange={(e) => set('priority', e.target.value)} data-testid="edit-priority" />
        </label>
        <label className="field">
          <span className="field-label">Candidates per Round</span>
          <select value={form.candidates} onChange={(e) => set('candidates', e.target.value)} data-testid="edit-candidates">
            <option value="">The app’s setting</option>
            <option value="1">1 (one candidate)</option>
            {[2, 3, 4, 5].map((n) => (
              <option key={n} value={String(n)}>{`best of ${n}`}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Labels</span>
          <input value={form.labels} onChange={(e) => set('labels', e.target.value)} placeholder="ui, billing" data-testid="edit-labels" />
        </label>
        <label className="field">
          <span className="field-label">Assignee</span>
          <input value={form.assignee} onChange={(e) => set('assignee', e.target.value)} placeholder="a person or an agent profile" data-testid="edit-assignee" />
        </label>
        <label className="field">
          <span className="field-label">Reporter</span>
          <select value={form.reporterId} onChange={(e) => set('reporterId', e.target.value)} data-testid="edit-reporter">
            <option value="">Nobody</option>
            {!reporterKnown && <option value={form.reporterId}>{goal.reporterName ?? form.reporterId}</option>}
            {reporters.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field span-2">
          <span className="field-label">Feature</span>
          <select value={form.featureId} onChange={(e) => set('featureId', e.target.value)} data-testid="edit-feature">
            <option value="">No feature</option>
            {features.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="edit-error">
          {error}
        </p>
      )}
      <div className="row form-actions">
        <button type="submit" className="button primary" disabled={!dirty || saving} data-testid="edit-save">
          {saving ? 'Saving…' : 'Save changes'}
        </button>
        <button type="button" className="button ghost" disabled={!dirty || saving} onClick={() => { setForm(formOf(goal)); setBase(goal); setProblem(null); update.clearError(); }}>
          Reset
        </button>
        {dirty && <span className="muted small">Unsaved changes</span>}
      </div>
    </form>
  );
}
