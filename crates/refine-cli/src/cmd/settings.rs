//! `refine settings`: the layered settings (defaults < global < app).

use clap::Subcommand;
use refine_api::ops::settings;
use refine_client::CliError;
use refine_core::settings::{SettingsGetInput, SettingsUpdateInput, SettingsView};
use refine_model::SettingsScope;
use serde_json::{Map, Value};

use super::apps::app_id;
use super::{Commands, Run};
use crate::render::{Cell, Printer, Render};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum SettingsCmd {
    /// Show effective settings (and where each layer stands).
    Get {
        /// An app's layer (name or id); default: the active app.
        #[arg(long)]
        app: Option<String>,
    },
    /// Set one value: `refine settings set runner.retryBudget 3` (VALUE is JSON or text; `null` resets).
    Set {
        key: String,
        value: String,
        /// Write the app's layer instead of the global one.
        #[arg(long)]
        app: Option<String>,
    },
}

pub const COMMANDS: Commands = &[
    (
        "get",
        &[settings::GET.name, refine_api::ops::apps::LIST.name],
    ),
    (
        "set",
        &[
            settings::UPDATE.name,
            settings::GET.name,
            refine_api::ops::apps::LIST.name,
        ],
    ),
];

pub async fn run(r: &Run<'_>, cmd: &SettingsCmd) -> Result {
    let c = r.c;
    match cmd {
        SettingsCmd::Get { app } => {
            let app_id = match app {
                Some(a) => Some(app_id(c, a).await?),
                None => None,
            };
            r.out
                .show(&c.run(settings::GET, &SettingsGetInput { app_id }).await?)
        }
        SettingsCmd::Set { key, value, app } => {
            let value: Value =
                serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.clone()));
            let patch = nested_patch(key, value)?;
            let app_id = match app {
                Some(a) => Some(app_id(c, a).await?),
                None => None,
            };
            let view = c
                .run(
                    settings::GET,
                    &SettingsGetInput {
                        app_id: app_id.clone(),
                    },
                )
                .await?;
            // Fenced by the revision just read: a write in between is a conflict, not lost.
            let (scope, revision) = match &app_id {
                Some(_) => (
                    SettingsScope::App,
                    view.app.as_ref().map_or(0, |l| l.revision),
                ),
                None => (SettingsScope::Global, view.global.revision),
            };
            let input = SettingsUpdateInput {
                scope,
                app_id,
                revision,
                patch,
            };
            let view = c.run(settings::UPDATE, &input).await?;
            r.out.done(&view, |v| {
                let now = serde_json::to_value(&v.effective).unwrap_or_default();
                format!(
                    "{key} = {} ({} settings)",
                    lookup(&now, key).cloned().unwrap_or(Value::Null),
                    crate::render::wire(&scope)
                )
            })
        }
    }
}

/// Turn `a.b.c` + value into `{"a":{"b":{"c":value}}}`.
fn nested_patch(key: &str, value: Value) -> Result<Value> {
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(CliError::Usage(format!(
            "bad settings key {key:?}; use e.g. runner.retryBudget"
        )));
    }
    let mut v = value;
    for part in key.rsplit('.') {
        let mut m = Map::new();
        m.insert(part.to_string(), v);
        v = Value::Object(m);
    }
    Ok(v)
}

/// Every leaf of a settings object as `a.b.c` and its JSON.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn lookup<'a>(v: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted.split('.').try_fold(v, |acc, k| acc.get(k))
}

/// Each effective value and the layer it comes from.
impl Render for SettingsView {
    fn render(&self, p: &mut Printer) {
        let mut leaves = Vec::new();
        flatten(
            "",
            &serde_json::to_value(&self.effective).unwrap_or_default(),
            &mut leaves,
        );
        let set_in = |layer: Option<&Value>, k: &str| layer.is_some_and(|v| lookup(v, k).is_some());
        let rows = leaves
            .into_iter()
            .map(|(k, v)| {
                let from = if set_in(self.app.as_ref().map(|l| &l.values), &k) {
                    "app"
                } else if set_in(Some(&self.global.values), &k) {
                    "global"
                } else {
                    "default"
                };
                vec![Cell::from(k), Cell::from(v), Cell::from(from)]
            })
            .collect();
        p.table(&["key", "value", "from"], rows);
        p.line(format!(
            "global revision {}{}",
            self.global.revision,
            self.app
                .as_ref()
                .map(|a| format!(", app revision {}", a.revision))
                .unwrap_or_default()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn settings_render_each_value_with_its_layer() {
        let defaults = serde_json::to_value(refine_model::Settings::default()).unwrap();
        let mut effective = defaults.clone();
        effective["runner"]["retryBudget"] = 5.into();
        effective["ui"]["theme"] = "dark".into();
        let view: SettingsView = serde_json::from_value(serde_json::json!({
            "effective": effective,
            "global": {"values": {"ui": {"theme": "dark"}}, "revision": 2},
            "appId": "a1",
            "app": {"values": {"runner": {"retryBudget": 5}}, "revision": 1},
            "schema": {}
        }))
        .expect("a SettingsView");
        let text = shown(&view);
        let row = |k: &str| {
            text.lines()
                .find(|l| l.starts_with(&format!("{k} ")))
                .unwrap_or_else(|| panic!("{k} in {text}"))
                .split_whitespace()
                .collect::<Vec<_>>()
        };
        assert_eq!(row("runner.retryBudget")[1..], ["5", "app"]);
        assert_eq!(row("ui.theme")[1..], ["\"dark\"", "global"]);
        assert!(
            text.ends_with("global revision 2, app revision 1\n"),
            "{text}"
        );
        assert_eq!(
            nested_patch("a.b", 3.into()).unwrap(),
            serde_json::json!({"a": {"b": 3}})
        );
        assert!(nested_patch("a..b", 3.into()).is_err());
    }
}
