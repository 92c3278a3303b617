//! The subcommands, one file per group. Each command builds the typed input of its operation,
//! calls it through the typed handle (`refine_api::ops::<group>::<NAME>`) and answers through
//! [`Output`]: the operation's output as JSON, or its renderer for people. Each group lists
//! which operations its commands call (`COMMANDS`), and a test walks the clap tree against
//! those lists and the registry.

pub mod activity;
pub mod agent;
pub mod apps;
pub mod automation;
pub mod cache;
pub mod call;
pub mod changes;
pub mod chat;
pub mod dashboard;
pub mod doctor;
pub mod events;
pub mod feature;
pub mod files;
pub mod goal;
pub mod governance;
pub mod guidance;
pub mod import;
pub mod logs;
pub mod nodes;
pub mod open;
pub mod ops;
pub mod perf;
pub mod proc;
pub mod project;
pub mod quality;
pub mod reporter;
pub mod review;
pub mod runner;
pub mod sessions;
pub mod settings;
pub mod status;
pub mod stop;
pub mod target;
pub mod term;
pub mod todo;
pub mod upgrade;
pub mod webhook;

use std::time::Duration;

use refine_api::ops::operations;
use refine_client::{CliError, Client};
use refine_core::operations::OperationIdInput;
use refine_model::{OperationReceipt, OperationStatus};

use crate::output::Output;
use crate::render::{Printer, Tone};
use crate::Result;

/// What every command gets: the client, the output layer and who is acting.
pub struct Run<'a> {
    pub c: &'a Client,
    pub out: &'a Output,
    pub actor: Option<&'a str>,
}

/// A subcommand (its path below the group, e.g. `list`) and the operations it calls.
pub type Commands = &'static [(&'static str, &'static [&'static str])];

/// Every group's command table, by group name as typed (`refine apps …`).
pub const GROUPS: &[(&str, Commands)] = &[
    ("apps", apps::COMMANDS),
    ("status", status::COMMANDS),
    ("settings", settings::COMMANDS),
    ("ops", ops::COMMANDS),
    ("activity", activity::COMMANDS),
    ("events", events::COMMANDS),
    ("goal", goal::COMMANDS),
    ("feature", feature::COMMANDS),
    ("import", import::COMMANDS),
    ("dashboard", dashboard::COMMANDS),
    ("project", project::COMMANDS),
    ("perf", perf::COMMANDS),
    ("doctor", doctor::COMMANDS),
    ("logs", logs::COMMANDS),
    ("cache", cache::COMMANDS),
    ("upgrade", upgrade::UPGRADE_COMMANDS),
    ("backup", upgrade::BACKUP_COMMANDS),
    ("reporter", reporter::COMMANDS),
    ("todo", todo::COMMANDS),
    ("review", review::COMMANDS),
    ("webhook", webhook::COMMANDS),
    ("automation", automation::COMMANDS),
    ("call", call::COMMANDS),
    ("open", open::COMMANDS),
    ("sessions", sessions::COMMANDS),
    ("stop", stop::COMMANDS),
    ("changes", changes::COMMANDS),
    ("files", files::COMMANDS),
    ("proc", proc::COMMANDS),
    ("target", target::COMMANDS),
    ("term", term::COMMANDS),
    ("quality", quality::COMMANDS),
    ("governance", governance::COMMANDS),
    ("guidance", guidance::COMMANDS),
    ("chat", chat::COMMANDS),
    ("agent", agent::COMMANDS),
    ("runner", runner::COMMANDS),
    ("nodes", nodes::NODES_COMMANDS),
    ("cluster", nodes::CLUSTER_COMMANDS),
];

/// The command that does what `op` does (the first operation a command lists is the one it is
/// for), as typed: `refine goal list`.
pub fn command_for(op: &str) -> Option<String> {
    GROUPS.iter().find_map(|(group, commands)| {
        commands
            .iter()
            .find(|(_, ops)| ops.first() == Some(&op))
            .map(|(sub, _)| format!("refine {group} {sub}").trim_end().to_string())
    })
}

/// A record given by name, full id or unique id prefix.
pub fn pick_one<'a, T>(
    what: &str,
    given: &str,
    items: &'a [T],
    id: impl Fn(&T) -> &str,
    name: impl Fn(&T) -> &str,
    hint: &str,
) -> Result<&'a T> {
    if let Some(exact) = items.iter().find(|t| id(t) == given || name(t) == given) {
        return Ok(exact);
    }
    let prefixed: Vec<&T> = items.iter().filter(|t| id(t).starts_with(given)).collect();
    match prefixed.as_slice() {
        [one] => Ok(one),
        [] => Err(CliError::Api(refine_model::ApiError::not_found(format!(
            "no {what} named or with id {given:?}; {hint}"
        )))),
        _ => Err(CliError::Usage(format!(
            "{given:?} matches several {what}s; use the full id"
        ))),
    }
}

/// A clap parser for a serde enum of the wire (`WorkflowState`, `GoalSort`, …): its wire names,
/// read from its JSON Schema, are the possible values, so completions offer them and anything
/// else is clap's usage error (exit 2).
pub fn wire_enum<T>() -> impl clap::builder::TypedValueParser<Value = T>
where
    T: serde::de::DeserializeOwned + schemars::JsonSchema + Clone + Send + Sync + 'static,
{
    fn names(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("enum", serde_json::Value::Array(a)) => {
                            out.extend(a.iter().filter_map(|s| s.as_str().map(str::to_string)))
                        }
                        ("const", serde_json::Value::String(s)) => out.push(s.clone()),
                        _ => names(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| names(x, out)),
            _ => {}
        }
    }
    let mut values = Vec::new();
    names(
        &serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default(),
        &mut values,
    );
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(values)
        .try_map(|s| serde_json::from_value::<T>(serde_json::Value::String(s)))
}

/// Text from a file, or standard input for `-`.
pub fn read_text(path: &str) -> Result<String> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        return Ok(s);
    }
    std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("cannot read {path}: {e}")))
}

/// `--limit` of a list that pages: what the operations accept (1..=500), so anything else is
/// clap's usage error.
pub fn page_limit() -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(1..=500)
}

/// For people, under a page that has more: how to get the next one.
pub fn next_page(p: &mut Printer, next: &Option<String>) {
    if let Some(c) = next {
        p.toned(format!("more: --cursor {c}"), Tone::Dim);
    }
}

/// Follow a long-running operation's receipt with a progress bar (for people) until it ends.
pub async fn wait(run: &Run<'_>, receipt: OperationReceipt) -> Result<OperationReceipt> {
    let bar = indicatif::ProgressBar::new(100);
    if !run.out.is_json() {
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos:>3}% {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let id = receipt.id.clone();
    let mut last = receipt;
    // Subscribe first, then re-read the receipt, so no update can slip between.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let follower = {
        let id = id.clone();
        let c2 = run.c.clone();
        tokio::spawn(async move {
            let _ = c2
                .follow(None, |ev| {
                    if ev.kind == refine_core::events::kind::OPERATIONS_UPDATED.name()
                        && ev.data["id"] == serde_json::json!(id)
                    {
                        if let Ok(r) = serde_json::from_value::<OperationReceipt>(ev.data) {
                            return tx.send(r).is_ok();
                        }
                    }
                    true
                })
                .await;
        })
    };
    while last.status == OperationStatus::Running {
        tokio::select! {
            Some(update) = rx.recv() => last = update,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {
                last = run.c.run(operations::GET, &OperationIdInput { id: id.clone() }).await?;
            }
        }
        bar.set_position(u64::from(last.progress));
        bar.set_message(last.message.clone().unwrap_or_default());
    }
    follower.abort();
    bar.finish_and_clear();
    Ok(last)
}

/// The data of a live event of `kind` (None for another kind, or data of another shape).
pub fn event_data<T: serde::de::DeserializeOwned>(
    ev: &refine_model::Event,
    kind: refine_core::events::Kind<T>,
) -> Option<T> {
    if ev.kind != kind.name() {
        return None;
    }
    serde_json::from_value(ev.data.clone()).ok()
}

/// TEXT as given, or the text of `--file F|-`; None when neither is given.
pub fn text_or_file(text: &Option<String>, file: &Option<String>) -> Result<Option<String>> {
    Ok(match (text, file) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(f)) => Some(read_text(f)?),
        (None, None) => None,
    })
}
