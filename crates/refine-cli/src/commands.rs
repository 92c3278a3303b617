//! The subcommands: each maps to registry operations over HTTP.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use crate::{table, Cli, Command, Result};
use refine_client::{CliError, Client};

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

#[derive(Subcommand, Debug)]
pub enum OpsCmd {
    /// List operations, newest first.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Show one operation.
    Show { id: String },
    /// Cancel a running operation.
    Cancel { id: String },
}

#[derive(Args, Debug)]
pub struct ActivityArgs {
    /// Keep printing new entries.
    #[arg(long, short)]
    follow: bool,
    /// Only this app (name or id).
    #[arg(long)]
    app: Option<String>,
    /// Only this surface: desktop, browser, cli, http, mcp, system.
    #[arg(long)]
    surface: Option<String>,
    /// Only this operation (`apps.add`) or group (`apps`).
    #[arg(long)]
    operation: Option<String>,
    /// Only this actor.
    #[arg(long)]
    actor: Option<String>,
    #[arg(long, default_value_t = 20)]
    limit: u32,
}

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

fn read_input(raw: Option<&str>) -> Result<Value> {
    let text = match raw {
        None => return Ok(json!({})),
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            s
        }
        Some(s) => s.to_string(),
    };
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("the input is not valid JSON: {e}")))
}

fn activity_line(a: &Value) -> String {
    let at = s(a, "at");
    let time = at.get(..19).unwrap_or(&at).replace('T', " ");
    format!(
        "{time}  {:<8} {:<10} {:<20} {}",
        s(a, "surface"),
        s(a, "actor"),
        s(a, "operation"),
        s(a, "summary")
    )
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
        Command::Status => {
            let info = c.call("system.info", json!({})).await?;
            let apps = c.call("apps.list", json!({})).await?;
            if json_out {
                print_json(&json!({"info": info, "apps": apps}));
                return Ok(());
            }
            let list = apps.as_array().cloned().unwrap_or_default();
            let active = list
                .iter()
                .find(|a| a["active"] == json!(true))
                .map(|a| s(a, "name"));
            println!(
                "Refine {} (API {}) is running",
                s(&info, "version"),
                s(&info, "apiVersion")
            );
            println!("  url:      {}", s(&info, "url"));
            println!("  pid:      {}", s(&info, "pid"));
            println!("  uptime:   {}s", s(&info, "uptimeSeconds"));
            println!("  data dir: {}", s(&info, "dataDir"));
            println!("  node:     {}", s(&info, "nodeId"));
            println!(
                "  apps:     {} ({})",
                list.len(),
                active
                    .map(|a| format!("active: {a}"))
                    .unwrap_or_else(|| "detached".into())
            );
        }
        Command::Apps(cmd) => {
            let run = crate::cmd::Run {
                c: &c,
                out,
                actor: cli.actor.as_deref(),
            };
            crate::cmd::apps::run(&run, cmd).await?
        }
        Command::Settings(cmd) => match cmd {
            SettingsCmd::Get { app } => {
                let app_id = match app {
                    Some(a) => Some(app_id(&c, a).await?),
                    None => None,
                };
                let mut view = c.call("settings.get", json!({"appId": app_id})).await?;
                if json_out {
                    if let Some(m) = view.as_object_mut() {
                        m.remove("schema");
                    }
                    print_json(&view);
                } else {
                    let mut rows = Vec::new();
                    flatten("", &view["effective"], &mut rows);
                    let table_rows = rows
                        .into_iter()
                        .map(|(k, v)| {
                            let source = if lookup(&view["app"]["values"], &k).is_some() {
                                "app"
                            } else if lookup(&view["global"]["values"], &k).is_some() {
                                "global"
                            } else {
                                "default"
                            };
                            vec![k, v, source.to_string()]
                        })
                        .collect();
                    table::print(&["key", "value", "from"], table_rows);
                    println!(
                        "global revision {}{}",
                        view["global"]["revision"],
                        if view["app"].is_object() {
                            format!(", app revision {}", view["app"]["revision"])
                        } else {
                            String::new()
                        }
                    );
                }
            }
            SettingsCmd::Set { key, value, app } => {
                let v: Value =
                    serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.clone()));
                let app_id = match app {
                    Some(a) => Some(app_id(&c, a).await?),
                    None => None,
                };
                let view = c.call("settings.get", json!({"appId": app_id})).await?;
                let (scope, revision) = match &app_id {
                    Some(_) => ("app", view["app"]["revision"].clone()),
                    None => ("global", view["global"]["revision"].clone()),
                };
                let mut input =
                    json!({"scope": scope, "revision": revision, "patch": nested_patch(key, v)?});
                if let Some(id) = app_id {
                    input["appId"] = json!(id);
                }
                let out = c.call("settings.update", input).await?;
                if json_out {
                    print_json(&out["effective"]);
                } else {
                    println!(
                        "{key} = {} ({scope} settings)",
                        lookup(&out["effective"], key)
                            .cloned()
                            .unwrap_or(Value::Null)
                    );
                }
            }
        },
        Command::Ops(cmd) => match cmd {
            OpsCmd::List {
                status,
                kind,
                limit,
            } => {
                let page = c
                    .call(
                        "operations.list",
                        json!({"status": status, "kind": kind, "limit": limit}),
                    )
                    .await?;
                if json_out {
                    print_json(&page);
                } else {
                    let rows = page["items"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|o| {
                                    vec![
                                        s(o, "id"),
                                        s(o, "kind"),
                                        s(o, "status"),
                                        format!("{}%", o["progress"]),
                                        s(o, "surface"),
                                        s(o, "createdAt"),
                                    ]
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    table::print(
                        &["id", "kind", "status", "progress", "surface", "created"],
                        rows,
                    );
                }
            }
            OpsCmd::Show { id } => {
                let o = c.call("operations.get", json!({"id": id})).await?;
                print_json(&o);
            }
            OpsCmd::Cancel { id } => {
                let o = c.call("operations.cancel", json!({"id": id})).await?;
                if json_out {
                    print_json(&o)
                } else {
                    println!("Operation {} is {}", s(&o, "id"), s(&o, "status"))
                }
            }
        },
        Command::Activity(a) => {
            let app = match &a.app {
                Some(x) => Some(app_id(&c, x).await?),
                None => None,
            };
            let filter = json!({"appId": app, "surface": a.surface, "operation": a.operation, "actor": a.actor, "limit": a.limit});
            let page = c.call("activity.list", filter).await?;
            let mut items = page["items"].as_array().cloned().unwrap_or_default();
            items.reverse();
            for it in &items {
                if json_out {
                    println!("{it}");
                } else {
                    println!("{}", activity_line(it));
                }
            }
            if a.follow {
                let matches = |v: &Value| {
                    app.as_ref().is_none_or(|x| v["appId"] == json!(x))
                        && a.surface.as_ref().is_none_or(|x| v["surface"] == json!(x))
                        && a.actor.as_ref().is_none_or(|x| v["actor"] == json!(x))
                        && a.operation.as_ref().is_none_or(|x| {
                            let op = s(v, "operation");
                            &op == x || op.starts_with(&format!("{x}."))
                        })
                };
                c.follow(None, |ev| {
                    if ev.kind == "activity.created" && matches(&ev.data) {
                        if json_out {
                            println!("{}", ev.data);
                        } else {
                            println!("{}", activity_line(&ev.data));
                        }
                    }
                    true
                })
                .await?;
            }
        }
        Command::Events { since } => {
            c.follow(since.clone(), |ev| {
                if json_out {
                    println!("{}", serde_json::to_string(&ev).unwrap_or_default());
                } else {
                    println!("{}  {:<22} {}", ev.id, ev.kind, ev.data);
                }
                true
            })
            .await?;
        }
        Command::Call { op, input, list } => {
            if *list || op.is_none() {
                let ops = c.call("system.operations", json!({})).await?;
                if json_out {
                    print_json(&ops);
                } else {
                    let rows = ops
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|o| {
                                    vec![
                                        s(o, "name"),
                                        s(o, "kind"),
                                        format!("{} {}", s(o, "method"), s(o, "path")),
                                        s(o, "doc"),
                                    ]
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    table::print(&["operation", "kind", "route", "doc"], rows);
                }
                return Ok(());
            }
            let op = op.as_deref().unwrap_or_default();
            let out = c.call(op, read_input(input.as_deref())?).await?;
            print_json(&out);
        }
        Command::Open => crate::sessions::open(&c, json_out).await?,
        Command::Sessions(cmd) => crate::sessions::run(&c, cmd, json_out).await?,
        Command::Stop => {
            c.call("system.shutdown", json!({})).await?;
            if !json_out {
                println!("Refine is stopping");
            }
        }
        Command::Goal(cmd) => crate::work::goal(&c, cmd, json_out, cli.actor.as_deref()).await?,
        Command::Feature(cmd) => crate::work::feature(&c, cmd, json_out).await?,
        Command::Import {
            file,
            format,
            map,
            dry_run,
        } => crate::work::import(&c, file, format.as_deref(), map, *dry_run, json_out).await?,
        Command::Dashboard => crate::work::dashboard(&c, json_out).await?,
        Command::Files(cmd) => crate::cmd::files::run(&run, cmd).await?,
        Command::Term(cmd) => crate::cmd::term::run(&run, cmd).await?,
        Command::Reporter(cmd) => crate::work::reporter(&c, cmd, json_out).await?,
        Command::Todo(cmd) => crate::work::todo(&c, cmd, json_out, cli.actor.as_deref()).await?,
        Command::Automation(cmd) => crate::work::automation(&c, cmd, json_out).await?,
        Command::Agent(cmd) => crate::cmd::agent::run(&run, cmd).await?,
        Command::Runner(cmd) => crate::cmd::runner::run(&run, cmd).await?,
        Command::Changes(cmd) => crate::cmd::changes::run(&run, cmd).await?,
        Command::Proc(cmd) => crate::cmd::proc::run(&run, cmd).await?,
        Command::Target(cmd) => crate::cmd::target::run(&run, cmd).await?,
        Command::Quality(a) => crate::cmd::quality::run(&run, a).await?,
        Command::Governance(a) => crate::cmd::governance::run(&run, a).await?,
        Command::Guidance(a) => crate::cmd::guidance::run(&run, a).await?,
        Command::Chat(cmd) => crate::cmd::chat::run(&run, cmd).await?,
        Command::Completions { .. } | Command::AgentScript { .. } => {
            unreachable!("handled before connecting")
        }
    }
    Ok(())
}
