//! settings: typed, validated, layered (defaults < global < app), revision-fenced writes.

use crate::events::kind;
use refine_model::event::SettingsChanged;
use refine_model::settings::{merge_patch, resolve};
use refine_model::{ApiError, Settings, SettingsLayer, SettingsScope};
use refine_store::settings as table;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use specta::Type;

use crate::{Change, Core, Ctx, Mutated};

/// Which settings to read: the global layer plus, if given (or active), an app's layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsGetInput {
    #[serde(default)]
    pub app_id: Option<String>,
}

/// Effective settings, the stored layers with their revisions, and the JSON Schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    pub effective: Settings,
    pub global: SettingsLayer,
    pub app_id: Option<String>,
    pub app: Option<SettingsLayer>,
    #[specta(type = specta_typescript::Unknown)]
    pub schema: Value,
}

/// A partial patch (RFC 7396 merge patch) of one layer, fenced by the revision the writer read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsUpdateInput {
    pub scope: SettingsScope,
    /// Required for scope `app` (defaults to the active app).
    #[serde(default)]
    pub app_id: Option<String>,
    /// The revision of the layer this patch was based on (0 for a layer never written).
    pub revision: u32,
    /// Partial settings object; `null` removes a key from the layer (back to the inherited value).
    #[specta(type = specta_typescript::Unknown)]
    pub patch: Value,
}

/// The JSON Schema of the settings object.
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Settings)).unwrap_or(Value::Null)
}

impl Core {
    async fn settings_app_id(
        &self,
        ctx: &Ctx,
        explicit: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        if explicit.is_none() && ctx.app_id.is_none() {
            // No app named: the active one if any; detached is fine for settings.
            return self.read(refine_store::apps::active_id).await;
        }
        Ok(Some(self.resolve_app(ctx, explicit).await?.id))
    }

    /// `settings.get`
    pub async fn settings_get(
        &self,
        ctx: &Ctx,
        input: SettingsGetInput,
    ) -> Result<SettingsView, ApiError> {
        let app_id = self.settings_app_id(ctx, input.app_id.as_deref()).await?;
        let (global, app) = self
            .read(move |c| {
                let global = table::get(c, None)?;
                let app = app_id
                    .as_deref()
                    .map(|a| table::get(c, Some(a)))
                    .transpose()?;
                Ok((global, app.map(|l| (app_id.unwrap_or_default(), l))))
            })
            .await?;
        let mut layers = vec![&global.values];
        if let Some((_, l)) = &app {
            layers.push(&l.values);
        }
        let effective = resolve(&layers).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "stored settings no longer validate; using defaults");
            Settings::default()
        });
        let (app_id, app) = match app {
            Some((id, l)) => (Some(id), Some(l)),
            None => (None, None),
        };
        Ok(SettingsView {
            effective,
            global,
            app_id,
            app,
            schema: schema(),
        })
    }

    /// `settings.update`
    pub async fn settings_update(
        &self,
        ctx: &Ctx,
        input: SettingsUpdateInput,
    ) -> Result<Mutated<SettingsView>, ApiError> {
        if !input.patch.is_object() {
            return Err(ApiError::invalid("patch must be a JSON object of settings"));
        }
        let app_id = match input.scope {
            SettingsScope::Global => {
                if input.app_id.is_some() {
                    return Err(ApiError::invalid("appId only goes with scope \"app\""));
                }
                None
            }
            SettingsScope::App => Some(self.resolve_app(ctx, input.app_id.as_deref()).await?.id),
        };
        let patch = input.patch.clone();
        let revision = input.revision;
        self.mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
            let global = table::get(tx, None)?;
            let app_layer = app_id.as_deref().map(|a| table::get(tx, Some(a))).transpose()?;
            let target = app_layer.as_ref().unwrap_or(&global);
            if target.revision != revision {
                return Err(ApiError::conflict(format!(
                    "these settings changed since you read them (revision {} now, you sent {}); reload and retry",
                    target.revision, revision
                ))
                .with_details(json!({ "currentRevision": target.revision })));
            }
            let mut values = target.values.clone();
            merge_patch(&mut values, &patch);
            let written = SettingsLayer { values, revision: revision + 1 };
            let (global, app) = match app_layer {
                None => (written.clone(), None),
                Some(_) => (global, Some(written.clone())),
            };
            let mut layers = vec![&global.values];
            if let Some(a) = &app {
                layers.push(&a.values);
            }
            let effective = resolve(&layers).map_err(|e| ApiError::invalid(format!("invalid settings: {e}")))?;
            table::put(tx, app_id.as_deref(), &written.values, written.revision)?;
            let keys: Vec<String> = patch.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
            let scope = if app_id.is_some() { "app" } else { "global" };
            let change = Change::new(format!("Updated {scope} settings: {}", keys.join(", ")))
                .app(app_id.clone())
                .event(
                    kind::SETTINGS_UPDATED,
                    &SettingsChanged {
                        scope: if app_id.is_some() {
                            refine_model::SettingsScope::App
                        } else {
                            refine_model::SettingsScope::Global
                        },
                        app_id: app_id.clone(),
                        revision: written.revision,
                    },
                );
            let view = SettingsView {
                effective,
                global,
                app_id: app_id.clone(),
                app,
                schema: schema(),
            };
            Ok((view, change))
        })
        .await
    }

    /// Effective settings for code paths inside the daemon.
    pub async fn effective_settings(&self, app_id: Option<String>) -> Result<Settings, ApiError> {
        Ok(self
            .settings_get(
                &Ctx::new(refine_model::Surface::System),
                SettingsGetInput { app_id },
            )
            .await?
            .effective)
    }
}
