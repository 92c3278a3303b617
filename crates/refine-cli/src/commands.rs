//! The subcommands: each maps to registry operations over HTTP.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::{Cli, Command, Result};
use refine_client::{CliError, Client};

pub(crate) fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Null) | None => "-".into(),
        Some(other) => other.to_string(),
    }
}

/// JSON answers of the commands not yet on typed outputs go through the same layer
/// (`--json FIELDS`, `--jq`).
pub(crate) fn print_json(v: &Value) {
    let out = OUTPUT.get().map_or_else(crate::output::Output::human, |o| {
        crate::output::Output::new(o.0.as_deref(), o.1.as_deref())
            .unwrap_or_else(|_| crate::output::Output::human())
    });
    if let Err(e) = out.json(v) {
        out.error(&e);
        std::process::exit(e.exit_code());
    }
}

/// The global `--json` / `--jq` options, for [`print_json`].
pub(crate) static OUTPUT: std::sync::OnceLock<(Option<String>, Option<String>)> =
    std::sync::OnceLock::new();

/// Resolve an app given by name, full id or unique id prefix.
pub(crate) async fn app_id(c: &Client, given: &str) -> Result<String> {
    let apps = c.call("apps.list", json!({})).await?;
    let list = apps.as_array().cloned().unwrap_or_default();
    let matches: Vec<&Value> = list
        .iter()
        .filter(|a| s(a, "id") == given || s(a, "name") == given || s(a, "id").starts_with(given))
        .collect();
    match matches.as_slice() {
        [one] => Ok(s(one, "id")),
        [] => Err(CliError::Api(refine_model::ApiError::not_found(format!(
            "no app named or with id {given:?}; `refine apps list` shows them"
        )))),
        _ => Err(CliError::Usage(format!(
            "{given:?} matches several apps; use the full id"
        ))),
    }
}

/// Follow an operation's receipt with a progress bar until it ends.
pub(crate) async fn wait_operation(c: &Client, receipt: Value, json_out: bool) -> Result<Value> {
    let id = s(&receipt, "id");
    let bar = indicatif::ProgressBar::new(100);
    if !json_out {
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos:>3}% {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
    }
    let mut last = receipt;
    // Subscribe first, then re-read the receipt, so no update can slip between.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let follower = {
        let id = id.clone();
        let c2 = c.clone();
        tokio::spawn(async move {
            let _ = c2
                .follow(None, |ev| {
                    if ev.kind == "operations.updated" && ev.data["id"] == json!(id) {
                        return tx.send(ev.data).is_ok();
                    }
                    true
                })
                .await;
        })
    };
    loop {
        if last["status"] != json!("running") {
            break;
        }
        tokio::select! {
            Some(update) = rx.recv() => last = update,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {
                last = c.call("operations.get", json!({"id": id})).await?;
            }
        }
        if !json_out {
            bar.set_position(last["progress"].as_u64().unwrap_or(0));
            bar.set_message(s(&last, "message").replace('-', ""));
        }
    }
    follower.abort();
    bar.finish_and_clear();
    Ok(last)
}

pub async fn run(
    cli: &Cli,
    command: &Command,
    data_dir: &Path,
    out: &crate::output::Output,
) -> Result {
    let _ = OUTPUT.set((cli.json.clone(), cli.jq.clone()));
    let c = Client::discover(cli.url.clone(), data_dir, cli.actor.clone())?;
    let json_out = cli.json();
    let run = crate::cmd::Run {
        c: &c,
        out,
        actor: cli.actor.as_deref(),
    };
    match command {
        Command::Status => crate::cmd::status::run(&run).await?,
        Command::Apps(cmd) => crate::cmd::apps::run(&run, cmd).await?,
        Command::Settings(cmd) => crate::cmd::settings::run(&run, cmd).await?,
        Command::Ops(cmd) => crate::cmd::ops::run(&run, cmd).await?,
        Command::Activity(a) => crate::cmd::activity::run(&run, a).await?,
        Command::Events(a) => crate::cmd::events::run(&run, a).await?,
        Command::Call(a) => crate::cmd::call::run(&run, a).await?,
        Command::Open => crate::cmd::open::run(&run).await?,
        Command::Sessions(cmd) => crate::cmd::sessions::run(&run, cmd).await?,
        Command::Stop => crate::cmd::stop::run(&run).await?,
        Command::Goal(cmd) => crate::cmd::goal::run(&run, cmd).await?,
        Command::Feature(cmd) => crate::cmd::feature::run(&run, cmd).await?,
        Command::Import(a) => crate::cmd::import::run(&run, a).await?,
        Command::Dashboard => crate::cmd::dashboard::run(&run).await?,
        Command::Files(cmd) => crate::files::files(&c, cmd, json_out).await?,
        Command::Term(cmd) => crate::term::run(&c, cmd, json_out).await?,
        Command::Reporter(cmd) => crate::cmd::reporter::run(&run, cmd).await?,
        Command::Todo(cmd) => crate::cmd::todo::run(&run, cmd).await?,
        Command::Automation(cmd) => crate::cmd::automation::run(&run, cmd).await?,
        Command::Agent(cmd) => crate::agents::agent(&c, cmd, json_out).await?,
        Command::Runner(cmd) => crate::agents::runner(&c, cmd, json_out).await?,
        Command::Changes(cmd) => crate::changes::run(&c, cmd, json_out).await?,
        Command::Proc(cmd) => crate::procs::proc(&c, cmd, json_out).await?,
        Command::Target(cmd) => crate::procs::target(&c, cmd, json_out).await?,
        Command::Quality(a) => crate::governance::quality(&c, a, json_out).await?,
        Command::Governance(a) => crate::governance::governance(&c, a, json_out).await?,
        Command::Guidance(a) => crate::governance::guidance(&c, a, json_out).await?,
        Command::Chat(cmd) => crate::chat::run(&c, cmd, json_out).await?,
        Command::Completions { .. } | Command::AgentScript { .. } => {
            unreachable!("handled before connecting")
        }
    }
    Ok(())
}
