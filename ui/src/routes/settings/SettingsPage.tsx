import { useMemo, useState } from 'react';
import { useAction, useCache, useQuery } from '../../api/hooks';
import { Banner, Spinner } from '../../components/Feedback';
import { Page } from '../../components/Page';
import { useToast } from '../../components/toastContext';
import type { SettingsScope, SettingsView } from '../../gen/bindings';
import { useApps } from '../../state/appsContext';
import { getIn, jsonEqual, sectionsFromSchema, setIn, validateField, type FieldSpec, type JsonObject } from './schema';
import { SettingsField, type Origin } from './SettingsField';
import { SettingsTabs } from './SettingsTabs';

type Edit = { kind: 'set'; value: unknown } | { kind: 'reset' };

const keyOf = (field: FieldSpec) => field.path.join('.');

/** What a field shows and where it comes from, in the layer being edited. */
function describe(field: FieldSpec, view: SettingsView, scope: SettingsScope) {
  const globalValue = getIn(view.global.values, field.path);
  const layerValue = scope === 'app' ? getIn(view.app?.values, field.path) : globalValue;
  const inherited = scope === 'app' ? (globalValue ?? field.default) : field.default;
  const stored = scope === 'app' ? getIn(view.effective, field.path) : (globalValue ?? field.default ?? getIn(view.effective, field.path));
  const origin: Origin = layerValue !== undefined ? 'layer' : scope === 'app' && globalValue !== undefined ? 'global' : 'default';
  return { stored, inherited, origin };
}

/** The revision of the layer a page edits. */
function revisionOf(view: SettingsView, scope: SettingsScope): number | undefined {
  return (scope === 'app' ? view.app : view.global)?.revision;
}

export function SettingsPage() {
  const { active } = useApps();
  // Another app's settings start afresh, without the edits made to this one's.
  return <SettingsEditor key={active?.id ?? ''} />;
}

function SettingsEditor() {
  const { active } = useApps();
  const toast = useToast();
  const cache = useCache();
  const appId = active?.id ?? null;
  const query = useQuery('settings.get', { appId });
  const [scopeChoice, setScopeChoice] = useState<SettingsScope>('global');
  const [edits, setEdits] = useState<ReadonlyMap<string, Edit>>(new Map());
  const [formError, setFormError] = useState<string | null>(null);
  // The view being edited: it follows the cache while nothing is unsaved, and stays put after.
  const [held, setHeld] = useState<SettingsView | null>(null);
  const saving = useAction('settings.update', {
    onSuccess: (next, input) => {
      cache.put('settings.get', { appId }, next);
      setHeld(next);
      setEdits(new Map());
      toast.show('success', 'Settings saved', input.scope === 'app' ? `For ${active?.name ?? 'this app'}` : 'Global settings');
    },
    onError: (failure) => {
      if (failure.code !== 'conflict') setFormError(failure.message);
    },
  });
  const dirty = edits.size > 0;
  const latest = query.data ?? null;
  if (!dirty && !saving.busy && held !== latest) setHeld(latest);
  const view = held ?? latest ?? undefined;
  const loadError = query.error?.message ?? null;
  const scope: SettingsScope = view?.appId && view.app ? scopeChoice : 'global';
  const layer = view ? (scope === 'app' ? view.app : view.global) : null;
  const sections = useMemo(() => sectionsFromSchema(view?.schema, view?.effective), [view?.schema, view?.effective]);
  // Unsaved edits stay; if the layer being edited moved on, saving them would be refused.
  const movedOn = dirty && !saving.busy && held !== null && latest !== null && revisionOf(latest, scope) !== revisionOf(held, scope);
  const conflict = movedOn || saving.error?.code === 'conflict';

  const reload = () => {
    setEdits(new Map());
    setFormError(null);
    saving.clearError();
    setHeld(null);
    query.reload();
  };

  const errors = useMemo(() => {
    const out = new Map<string, string>();
    for (const section of sections) {
      for (const field of section.fields) {
        const edit = edits.get(keyOf(field));
        if (edit?.kind !== 'set') continue;
        const problem = validateField(field, edit.value);
        if (problem) out.set(keyOf(field), problem);
      }
    }
    return out;
  }, [sections, edits]);

  if (!view || !layer) {
    return (
      <Page title="Settings" testId="page-settings">
        <SettingsTabs current="general" />
        {loadError ? <Banner tone="error">{loadError}</Banner> : <Spinner />}
      </Page>
    );
  }

  const update = (field: FieldSpec, next: Edit | null) => {
    setFormError(null);
    setEdits((map) => {
      const copy = new Map(map);
      if (next) copy.set(keyOf(field), next);
      else copy.delete(keyOf(field));
      return copy;
    });
  };

  const save = () => {
    if (errors.size > 0) {
      setFormError('Some values are out of range: fix the highlighted fields.');
      return;
    }
    const patch: JsonObject = {};
    for (const section of sections) {
      for (const field of section.fields) {
        const edit = edits.get(keyOf(field));
        if (edit) setIn(patch, field.path, edit.kind === 'reset' ? null : edit.value);
      }
    }
    setFormError(null);
    void saving.run({ scope, appId: scope === 'app' ? view.appId : undefined, revision: layer.revision, patch });
  };

  return (
    <Page
      title="Settings"
      subtitle="Defaults, overridden by global settings, overridden by the active app’s settings."
      testId="page-settings"
      actions={
        <div className="segmented" role="radiogroup" aria-label="Settings scope" data-testid="settings-scope">
          <button
            type="button"
            role="radio"
            aria-checked={scope === 'global'}
            className={scope === 'global' ? 'segment active' : 'segment'}
            onClick={() => setScopeChoice('global')}
            disabled={dirty}
            title={dirty ? 'Save or discard your changes first' : undefined}
            data-testid="scope-global"
          >
            Global
          </button>
          {view.appId && view.app && (
            <button
              type="button"
              role="radio"
              aria-checked={scope === 'app'}
              className={scope === 'app' ? 'segment active' : 'segment'}
              onClick={() => setScopeChoice('app')}
              disabled={dirty}
              title={dirty ? 'Save or discard your changes first' : undefined}
              data-testid="scope-app"
            >
              This app{active ? `: ${active.name}` : ''}
            </button>
          )}
        </div>
      }
    >
      <SettingsTabs current="general" />
      {conflict && (
        <Banner
          tone="warning"
          testId="settings-conflict"
          action={
            <button type="button" className="button small" onClick={reload} data-testid="settings-reload">
              Reload
            </button>
          }
        >
          <strong>Settings changed elsewhere — reload.</strong> Someone else saved these settings after you opened them. Reloading shows their values and drops
          your unsaved edits.
        </Banner>
      )}

      <form
        className="settings-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
        data-testid="settings-form"
        data-scope={scope}
        data-revision={layer.revision}
      >
        {sections.map((section) => (
          <fieldset className="card settings-section" key={section.key} data-testid={`settings-section-${section.key}`}>
            <legend className="sr-only">{section.title}</legend>
            <div className="card-header">
              <h2 aria-hidden="true">{section.title}</h2>
              {section.description && <span className="muted small">{section.description}</span>}
            </div>
            {section.fields.map((field) => {
              const info = describe(field, view, scope);
              const edit = edits.get(keyOf(field));
              const value = edit?.kind === 'set' ? edit.value : edit?.kind === 'reset' ? info.inherited : info.stored;
              return (
                <SettingsField
                  key={keyOf(field)}
                  field={field}
                  scope={scope}
                  value={value}
                  origin={info.origin}
                  changed={edit !== undefined}
                  resetting={edit?.kind === 'reset'}
                  error={errors.get(keyOf(field)) ?? null}
                  onChange={(next) => update(field, jsonEqual(next, info.stored) ? null : { kind: 'set', value: next })}
                  onReset={() => update(field, { kind: 'reset' })}
                  onUndo={() => update(field, null)}
                />
              );
            })}
          </fieldset>
        ))}

        <div className={dirty || formError ? 'save-bar visible' : 'save-bar'} data-testid="save-bar">
          <div className="save-bar-text">
            {formError ? (
              <span className="field-error" role="alert" data-testid="settings-error">
                {formError}
              </span>
            ) : dirty ? (
              <span>
                {edits.size === 1 ? '1 unsaved change' : `${edits.size} unsaved changes`} to the {scope === 'app' ? 'app' : 'global'} layer
              </span>
            ) : (
              <span className="muted">All changes saved · revision {layer.revision}</span>
            )}
          </div>
          <button type="button" className="button ghost" onClick={() => setEdits(new Map())} disabled={!dirty || saving.busy}>
            Discard
          </button>
          <button type="submit" className="button primary" disabled={!dirty || saving.busy} data-testid="settings-save">
            {saving.busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Page>
  );
}
