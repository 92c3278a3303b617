import { DebouncedInput } from '../../components/DebouncedInput';
import { Icon } from '../../components/Icon';
import { Popover } from '../../components/Popover';
import type { Feature, Reporter, WorkflowState } from '../../gen/bindings';
import { STATE_LABELS, STATES } from '../work/states';
import { hasFilters, SORTS, type GoalFilters } from './filters';

interface Props {
  filters: GoalFilters;
  onChange: (next: GoalFilters) => void;
  features: Feature[];
  reporters: Reporter[];
  labels: string[];
}

/** Search, filters and sort of the Goals list; every change lands in the URL. */
export function GoalFiltersBar({ filters, onChange, features, reporters, labels }: Props) {
  const set = <K extends keyof GoalFilters>(field: K, value: GoalFilters[K]) => onChange({ ...filters, [field]: value });
  const toggleStatus = (s: WorkflowState) =>
    set('status', filters.status.includes(s) ? filters.status.filter((x) => x !== s) : STATES.filter((x) => x === s || filters.status.includes(x)));

  const statusText = filters.status.length === 0 ? 'Any status' : filters.status.length <= 2 ? filters.status.map((s) => STATE_LABELS[s]).join(', ') : `${filters.status.length} states`;

  return (
    <form className="goal-filters card" onSubmit={(e) => e.preventDefault()} aria-label="Filter goals" data-testid="goal-filters">
      <div className="search-box goal-search">
        <Icon name="search" />
        <DebouncedInput
          type="search"
          value={filters.q}
          onCommit={(q) => set('q', q)}
          placeholder="Search title, prompt and notes…"
          aria-label="Search goals"
          data-shortcut="search"
          data-testid="goal-search"
        />
        <kbd className="search-kbd" aria-hidden="true">
          /
        </kbd>
      </div>
      <div className="filter-row">
        <div className="field">
          <span className="field-label">Status</span>
          <Popover label={<>{statusText}<Icon name="chevronDown" /></>} buttonClass="button select-like" testId="filter-status">
            {() => (
              <div className="check-list" role="group" aria-label="Status">
                {STATES.map((s) => (
                  <label key={s} className="check-item">
                    <input type="checkbox" checked={filters.status.includes(s)} onChange={() => toggleStatus(s)} data-testid={`filter-status-${s}`} />
                    <span className={`state-dot state-${s}`} aria-hidden="true" />
                    {STATE_LABELS[s]}
                  </label>
                ))}
                {filters.status.length > 0 && (
                  <button type="button" className="link-button" onClick={() => set('status', [])}>
                    Any status
                  </button>
                )}
              </div>
            )}
          </Popover>
        </div>
        <label className="field">
          <span className="field-label">Feature</span>
          <select value={filters.feature} onChange={(e) => set('feature', e.target.value)} data-testid="filter-feature">
            <option value="">Any feature</option>
            <option value="none">No feature</option>
            {features.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Label</span>
          <DebouncedInput value={filters.label} onCommit={(v) => set('label', v)} placeholder="any" list="goal-label-options" data-testid="filter-label" />
          <datalist id="goal-label-options">
            {labels.map((l) => (
              <option key={l} value={l} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span className="field-label">Reporter</span>
          <select value={filters.reporter} onChange={(e) => set('reporter', e.target.value)} data-testid="filter-reporter">
            <option value="">Anyone</option>
            {reporters.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Assignee</span>
          <DebouncedInput value={filters.assignee} onCommit={(v) => set('assignee', v)} placeholder="anyone" data-testid="filter-assignee" />
        </label>
        <label className="field">
          <span className="field-label">Sort</span>
          <select value={filters.sort} onChange={(e) => set('sort', e.target.value as GoalFilters['sort'])} data-testid="goal-sort">
            <option value="">Priority</option>
            {SORTS.filter((s) => s.value !== 'priority').map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button ghost filter-clear"
          onClick={() => onChange({ ...filters, status: [], feature: '', label: '', reporter: '', assignee: '', q: '' })}
          disabled={!hasFilters(filters)}
          data-testid="filter-clear"
        >
          Clear
        </button>
      </div>
    </form>
  );
}
