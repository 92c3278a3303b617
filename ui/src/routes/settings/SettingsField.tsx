import { useId, useState } from 'react';
import { Badge } from '../../components/Feedback';
import { jsonEqual, type FieldSpec, type Option } from './schema';

export type Origin = 'layer' | 'global' | 'default';

interface FieldProps {
  field: FieldSpec;
  value: unknown;
  origin: Origin;
  scope: 'global' | 'app';
  /** The edit is pending (differs from what is stored). */
  changed: boolean;
  /** A reset to the inherited value is pending. */
  resetting: boolean;
  error: string | null;
  onChange: (value: unknown) => void;
  onReset: () => void;
  onUndo: () => void;
}

function originLabel(origin: Origin, scope: 'global' | 'app'): { text: string; tone: 'accent' | 'neutral' } {
  if (origin === 'layer') return { text: scope === 'app' ? 'Set for this app' : 'Set globally', tone: 'accent' };
  if (origin === 'global') return { text: 'Inherited from global', tone: 'neutral' };
  return { text: 'Default', tone: 'neutral' };
}

function optionKey(value: Option['value']): string {
  return JSON.stringify(value);
}

/** One settings input, chosen by the schema type, with where its value comes from. */
export function SettingsField({ field, value, origin, scope, changed, resetting, error, onChange, onReset, onUndo }: FieldProps) {
  const id = useId();
  const name = field.path.join('.');
  const describedBy = [field.description ? `${id}-desc` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name,
    'aria-describedby': describedBy,
    'aria-invalid': error ? true : undefined,
    'data-testid': `setting-${name}`,
    disabled: resetting,
  } as const;
  const badge = originLabel(origin, scope);
  const range =
    field.minimum !== undefined || field.maximum !== undefined
      ? `${field.minimum ?? '…'}–${field.maximum ?? '…'}`
      : undefined;

  let control;
  switch (field.control) {
    case 'select':
      control = (
        <select {...common} value={optionKey(value as Option['value'])} onChange={(e) => onChange(JSON.parse(e.target.value))}>
          {(field.options ?? []).map((o) => (
            <option key={optionKey(o.value)} value={optionKey(o.value)}>
              {o.label}
            </option>
          ))}
        </select>
      );
      break;
    case 'checkbox':
      control = <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
      break;
    case 'integer':
    case 'number':
      control = (
        <input
          {...common}
          type="number"
          inputMode={field.control === 'integer' ? 'numeric' : 'decimal'}
          step={field.control === 'integer' ? 1 : 'any'}
          min={field.minimum}
          max={field.maximum}
          value={typeof value === 'number' && !Number.isNaN(value) ? value : ''}
          onChange={(e) => onChange(e.target.value === '' ? Number.NaN : Number(e.target.value))}
        />
      );
      break;
    case 'text':
      control = (
        <input
          {...common}
          type="text"
          spellCheck={false}
          minLength={field.minLength}
          maxLength={field.maxLength}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case 'lines':
      control = <LinesInput common={common} value={value} onChange={onChange} />;
      break;
    default:
      control = <JsonInput common={common} value={value} onChange={onChange} />;
  }

  return (
    <div className={changed ? 'setting changed' : 'setting'} data-testid="setting-row" data-setting={name} data-origin={origin}>
      <div className="setting-text">
        <label htmlFor={id} className="setting-label">
          {field.label}
        </label>
        {field.description && (
          <p className="setting-desc" id={`${id}-desc`}>
            {field.description}
          </p>
        )}
        <div className="setting-meta">
          <Badge tone={badge.tone} testId={`origin-${name}`}>
            {badge.text}
          </Badge>
          {range && <span className="muted small">Range {range}</span>}
          {field.default !== undefined && <span className="muted small">Default {JSON.stringify(field.default)}</span>}
        </div>
      </div>
      <div className="setting-control">
        {control}
        <div className="setting-actions">
          {resetting ? (
            <>
              <span className="small muted">Reverts to the {scope === 'app' ? 'inherited' : 'default'} value on save</span>
              <button type="button" className="link-button" onClick={onUndo}>
                Undo
              </button>
            </>
          ) : changed ? (
            <button type="button" className="link-button" onClick={onUndo}>
              Undo change
            </button>
          ) : origin === 'layer' ? (
            <button type="button" className="link-button" onClick={onReset} data-testid={`reset-${name}`}>
              {scope === 'app' ? 'Use inherited value' : 'Reset to default'}
            </button>
          ) : null}
        </div>
        {error && (
          <p className="field-error" id={`${id}-err`}>
            {error}
          </p>
        )}
      </div>
    </div>
  );
}

/** Fallback for schema types the form has no widget for: edit as JSON. */
/** A list of strings, one per line (blank lines dropped). */
function toLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

function LinesInput({
  common,
  value,
  onChange,
}: {
  common: { id: string; name: string; disabled: boolean };
  value: unknown;
  onChange: (value: unknown) => void;
}) {
  const list = Array.isArray(value) ? value.map(String) : [];
  const [text, setText] = useState(() => list.join('\n'));
  // Typed text stays as typed; a value changed elsewhere (undo, reset) shows as it is.
  const shown = jsonEqual(toLines(text), list) ? text : list.join('\n');
  return (
    <textarea
      {...common}
      className="code-input"
      rows={Math.max(3, list.length + 1)}
      placeholder="One per line"
      value={shown}
      onChange={(e) => {
        setText(e.target.value);
        onChange(toLines(e.target.value));
      }}
    />
  );
}

function JsonInput({
  common,
  value,
  onChange,
}: {
  common: { id: string; name: string; disabled: boolean };
  value: unknown;
  onChange: (value: unknown) => void;
}) {
  const [text, setText] = useState(() => JSON.stringify(value ?? null));
  const [invalid, setInvalid] = useState(false);
  return (
    <textarea
      {...common}
      className="code-input"
      rows={3}
      value={text}
      aria-invalid={invalid || undefined}
      onChange={(e) => {
        setText(e.target.value);
        try {
          onChange(JSON.parse(e.target.value));
          setInvalid(false);
        } catch {
          setInvalid(true);
        }
      }}
    />
  );
}
