import { useState } from 'react';
import { useAction } from '../../api/hooks';
import { Icon } from '../../components/Icon';
import type { BulkPatch, BulkResult, Feature, Goal } from '../../gen/bindings';

type Action = 'status' | 'priority' | 'addLabel' | 'removeLabel' | 'assignee' | 'feature';

const ACTIONS: { value: Action; label: string }[] = [
  { value: 'status', label: 'Set status' },
  { value: 'priority', label: 'Set priority' },
  { value: 'addLabel', label: 'Add label' },
  { value: 'removeLabel', label: 'Remove label' },
  { value: 'assignee', label: 'Set assignee' },
  { value: 'feature', label: 'Move to feature' },
];

function patchFor(action: Action, value: string): BulkPatch | string {
  const v = value.trim();
  switch (action) {
    case 'status':
      return v === 'backlog' || v === 'todo' || v === 'cancelled' ? { status: v } : 'Choose a status';
    case 'priority': {
      const n = Number(v);
      return v !== '' && Number.isInteger(n) ? { priority: n } : 'The priority is a whole number';
    }
    case 'addLabel':
      return v ? { addLabels: [v] } : 'Type a label';
    case 'removeLabel':
      return v ? { removeLabels: [v] } : 'Type a label';
    case 'assignee':
      return { assignee: v || null };
    case 'feature':
      return { featureId: v === '' ? null : v };
  }
}

export interface BulkOutcome {
  result: BulkResult;
  /** Titles by id, to name the Goals that failed. */
  names: Record<string, string>;
}

/** Actions on the selected Goals; every item succeeds or fails on its own. */
export function BulkBar({
  selected,
  goals,
  features,
  onDone,
  onClear,
}: {
  selected: string[];
  goals: Goal[];
  features: Feature[];
  onDone: (outcome: BulkOutcome) => void;
  onClear: () => void;
}) {
  const [action, setAction] = useState<Action>('status');
  const [value, setValue] = useState('todo');
  const [problem, setProblem] = useState<string | null>(null);
  const update = useAction(({ ids, patch }: { ids: string[]; patch: BulkPatch; names: Record<string, string> }, call) => call('goals.bulk_update', { ids, patch }), {
    onSuccess: (result, { names }) => onDone({ result, names }),
  });
  const busy = update.busy;
  const error = problem ?? update.error?.message;

  const choose = (a: Action) => {
    setAction(a);
    setProblem(null);
    update.clearError();
    setValue(a === 'status' ? 'todo' : a === 'priority' ? '0' : '');
  };

  const apply = () => {
    const patch = patchFor(action, value);
    setProblem(typeof patch === 'string' ? patch : null);
    if (typeof patch === 'string') return;
    const names: Record<string, string> = {};
    for (const g of goals) if (selected.includes(g.id)) names[g.id] = `#${g.number} ${g.title}`;
    void update.run({ ids: selected, patch, names });
  };

  return (
    <div className="bulk-bar" role="region" aria-label="Bulk actions" data-testid="bulk-bar">
      <strong className="bulk-count">{selected.length} selected</strong>
      <select value={action} onChange={(e) => choose(e.target.value as Action)} aria-label="Bulk action" data-testid="bulk-action">
        {ACTIONS.map((a) => (
          <option key={a.value} value={a.value}>
            {a.label}
          </option>
        ))}
      </select>
      {action === 'status' ? (
        <select value={value} onChange={(e) => setValue(e.target.value)} aria-label="Status" data-testid="bulk-value">
          <option value="backlog">Backlog</option>
          <option value="todo">Todo</option>
          <option value="cancelled">Cancelled</option>
        </select>
      ) : action === 'feature' ? (
        <select value={value} onChange={(e) => setValue(e.target.value)} aria-label="Feature" data-testid="bulk-value">
          <option value="">No feature (take out)</option>
          {features.map((f) => (
            <option key={f.id} value={f.id}>
              {f.name}
            </option>
          ))}
        </select>
      ) : (
        <input
          type={action === 'priority' ? 'number' : 'text'}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && apply()}
          placeholder={action === 'assignee' ? 'empty clears it' : action === 'priority' ? '0' : 'label'}
          aria-label="Value"
          className="bulk-input"
          data-testid="bulk-value"
        />
      )}
      <button type="button" className="button primary small" onClick={apply} disabled={busy} data-testid="bulk-apply">
        {busy ? 'Applying…' : 'Apply'}
      </button>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
      <span className="bulk-spacer" />
      <button type="button" className="button ghost small" onClick={onClear}>
        <Icon name="x" /> Clear selection
      </button>
    </div>
  );
}

/** What a bulk edit did: counts, and each refused Goal with the daemon's reason. */
export function BulkResultPanel({ outcome, onDismiss }: { outcome: BulkOutcome; onDismiss: () => void }) {
  const { result, names } = outcome;
  const failures = result.results.filter((r) => !r.ok);
  return (
    <div className={failures.length ? 'bulk-result has-failures' : 'bulk-result'} role="status" data-testid="bulk-result">
      <div className="bulk-result-head">
        <Icon name={failures.length ? 'alert' : 'check'} />
        <strong>
          {result.updated} updated{failures.length > 0 && `, ${result.failed} refused`}
        </strong>
        <span className="bulk-spacer" />
        <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>
          <Icon name="x" />
        </button>
      </div>
      {failures.length > 0 && (
        <ul className="bulk-failures">
          {failures.map((f) => (
            <li key={f.id} data-testid="bulk-failure">
              <span className="bulk-failure-name">{names[f.id] ?? f.id}</span>
              <span className="muted">{f.error?.message ?? 'refused'}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
