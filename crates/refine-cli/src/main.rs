//! `refine`: the headless daemon (`refine --serve`) and the command line over its HTTP API.

// Everything printed for people passes `out`, which escapes control characters of the data
// (these shadow the standard macros in every module below; raw content uses `out::content`).
macro_rules! println {
    () => { $crate::out::line(String::new()) };
    ($($t:tt)*) => { $crate::out::line(format!($($t)*)) };
}
macro_rules! eprintln {
    () => { $crate::out::error_line(String::new()) };
    ($($t:tt)*) => { $crate::out::error_line(format!($($t)*)) };
}

mod agent_script;
mod cmd;
mod commands;
mod out;
mod output;
mod render;

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use refine_client::CliError;

#[derive(Parser, Debug)]
#[command(
    name = "refine",
    version,
    about = "Refine: plan, run and review coding-agent work on your app",
    after_help = "Global options (--json, --jq, --url, --data-dir, --actor) go before or after the subcommand.\nEnvironment: REFINE_URL, REFINE_TOKEN (instead of the data dir's token file), REFINE_ACTOR, REFINE_HOME, NO_COLOR."
)]
pub struct Cli {
    #[command(flatten)]
    daemon: DaemonArgs,

    /// Data directory (default: $REFINE_HOME, else ~/.local/share/refine).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Daemon URL (default: from the data dir's daemon.json).
    #[arg(long, global = true, env = "REFINE_URL")]
    url: Option<String>,
    /// Print the operation's output as JSON; `--json number,title` keeps only those fields
    /// (of each item of a list).
    #[arg(
        long,
        global = true,
        value_name = "FIELDS",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    json: Option<String>,
    /// Filter the JSON output through a jq expression (strings print raw), e.g.
    /// `--jq '.[] | .number'`.
    #[arg(long, global = true, value_name = "EXPR")]
    jq: Option<String>,
    /// Who you are, for the audit log.
    #[arg(long, global = true, env = "REFINE_ACTOR")]
    actor: Option<String>,

    #[command(subcommand)]
    command: Option<Command>,
}

/// The daemon's own options (`refine --serve …`).
#[derive(Args, Debug)]
struct DaemonArgs {
    /// Run the daemon headless in the foreground.
    #[arg(long)]
    serve: bool,
    /// Port for --serve (0 picks a free one).
    #[arg(long, env = "REFINE_PORT", default_value_t = refine_core::daemon::DEFAULT_PORT)]
    port: u16,
    /// Address for --serve to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// Allow --bind to a non-loopback address.
    #[arg(long)]
    allow_remote: bool,
    /// Serve the UI from this folder instead of the built-in bundle.
    #[arg(long, value_name = "DIR")]
    ui_dir: Option<PathBuf>,
    /// With --serve: join the cluster on this NATS server (repeat for several; credentials from
    /// REFINE_CLUSTER_USER and REFINE_CLUSTER_PASSWORD). Without it a node rejoins the cluster
    /// it was in.
    #[arg(long, value_name = "NATS_URL")]
    cluster: Vec<String>,
    /// With --serve: this node's name (default: the host name); kept for later starts.
    #[arg(long, value_name = "NAME")]
    node_name: Option<String>,
}

/// `refine --serve` and the daemon's options only: the daemon does not build the whole command
/// tree (every subcommand, and the ones made from the operation registry) just to start, which
/// kept a few MiB of code resident for nothing. Anything else falls back to [`Cli`].
#[derive(Parser, Debug)]
#[command(name = "refine")]
struct ServeCli {
    #[command(flatten)]
    daemon: DaemonArgs,
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Daemon status: version, URL, uptime, apps.
    Status,
    /// Target apps: add, list, show, delete, select, rescan.
    #[command(subcommand)]
    Apps(cmd::apps::AppsCmd),
    /// Settings: show, or set one value.
    #[command(subcommand)]
    Settings(cmd::settings::SettingsCmd),
    /// Durable operations: list, show, cancel.
    #[command(subcommand)]
    Ops(cmd::ops::OpsCmd),
    /// The audit log (newest last); --follow keeps printing new entries.
    Activity(cmd::activity::ActivityArgs),
    /// Follow the live event stream (--list: every kind of event).
    Events(cmd::events::EventsArgs),
    /// Goals: create, list, show, edit, bulk, move, approve, decline, retry, cancel, tell, delete.
    #[command(subcommand)]
    Goal(cmd::goal::GoalCmd),
    /// Features: ordered groups of Goals.
    #[command(subcommand)]
    Feature(cmd::feature::FeatureCmd),
    /// Import Goals from Markdown, CSV, GitHub issue JSON, Jira CSV or a Refine export.
    Import(cmd::import::ImportArgs),
    /// The app's work at a glance.
    Dashboard,
    /// The app's repository state: branch, HEAD, changed files, Refine's records of it.
    Project(cmd::project::ProjectArgs),
    /// The daemon's own measurements: latency per operation, errors, CPU and memory.
    Perf(cmd::perf::PerfArgs),
    /// Check git, the agent CLIs, disk, database, permissions, port, clock; exit 1 on a failure.
    Doctor(cmd::doctor::DoctorArgs),
    /// The daemon's log: the newest records, filtered; --follow keeps printing.
    Logs(cmd::logs::LogsArgs),
    /// The daemon's caches: list, clear, rebuild.
    #[command(subcommand)]
    Cache(cmd::cache::CacheCmd),
    /// The nodes: this one and, in a cluster, the others; drain one.
    #[command(subcommand)]
    Nodes(cmd::nodes::NodesCmd),
    /// The cluster: status, join (NATS), leave.
    #[command(subcommand)]
    Cluster(cmd::nodes::ClusterCmd),
    /// This version, the newest release (the release feed), the schema, the backups.
    Upgrade(cmd::upgrade::UpgradeArgs),
    /// Copy the database now (works with or without a running daemon).
    Backup(cmd::upgrade::BackupArgs),
    /// Put a backup in place of the database (only while no daemon runs; it is checked first).
    Restore(cmd::upgrade::RestoreArgs),
    /// Reporters: people, agents and systems that report work.
    #[command(subcommand)]
    Reporter(cmd::reporter::ReporterCmd),
    /// A reporter's todo list.
    #[command(subcommand)]
    Todo(cmd::todo::TodoCmd),
    /// Review a Goal's candidate: comment on lines, request changes, resolve.
    #[command(subcommand)]
    Review(cmd::review::ReviewCmd),
    /// The app's webhooks: add, list, edit, delete, deliveries, ping.
    #[command(subcommand)]
    Webhook(cmd::webhook::WebhookCmd),
    /// Pause or resume automation for the active app.
    #[command(subcommand)]
    Automation(cmd::automation::AutomationCmd),
    /// The app's Git changes: status, diff, log, commit, revert, stage, unstage, churn.
    #[command(subcommand)]
    Changes(cmd::changes::ChangesCmd),
    /// The active app's files: ls, cat, find (fuzzy), grep (regex).
    #[command(subcommand)]
    Files(cmd::files::FilesCmd),
    /// Supervised processes: list, start, stop, restart, logs.
    #[command(subcommand)]
    Proc(cmd::proc::ProcCmd),
    /// The app's own lifecycle: status, start, stop, build, test, set.
    #[command(subcommand)]
    Target(cmd::target::TargetCmd),
    /// Terminal sessions in the daemon: list, new, attach (Ctrl-] detaches), close.
    #[command(subcommand)]
    Term(cmd::term::TermCmd),
    /// The app's quality tests and instructions, and the evaluation history.
    Quality(cmd::quality::QualityArgs),
    /// The app's governance: product statement, constitution, rules.
    Governance(cmd::governance::GovernanceArgs),
    /// Guidance entries given to agents: list, add, edit, enable, disable, rm.
    Guidance(cmd::guidance::GuidanceArgs),
    /// Chat threads with an agent: list, new, show, send (streams the reply), rename, rm, draft.
    #[command(subcommand)]
    Chat(cmd::chat::ChatCmd),
    /// Coding agents: list, detect, profiles, set, reset, attach, runs.
    #[command(subcommand)]
    Agent(cmd::agent::AgentCmd),
    /// Runner workers: status, pause, resume, stop.
    #[command(subcommand)]
    Runner(cmd::runner::RunnerCmd),
    /// Call any operation: `refine call apps.add '{"path":"/repo"}'`.
    Call(cmd::call::CallArgs),
    /// Open the UI in a browser: prints (and opens) a one-time login link.
    Open,
    /// Browser sessions: list, revoke.
    #[command(subcommand)]
    Sessions(cmd::sessions::SessionsCmd),
    /// Stop the daemon.
    Stop,
    /// Shell completions: bash, zsh, fish, elvish, powershell.
    Completions { shell: clap_complete::Shell },
    /// The built-in scripted agent: reads a prompt (stdin or a file) and follows the
    /// ```refine-script block in it. Used by tests and demos through the `scripted` profile.
    #[command(name = "agent-script", disable_help_flag = true)]
    AgentScript {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Every property name of every operation's output (what `--json FIELDS` may name).
fn output_fields() -> std::collections::HashSet<String> {
    fn walk(v: &serde_json::Value, out: &mut std::collections::HashSet<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::Object(props)) = m.get("properties") {
                    out.extend(props.keys().cloned());
                }
                m.values().for_each(|x| walk(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = std::collections::HashSet::new();
    for op in refine_api::registry() {
        walk(&(op.output_schema)(), &mut out);
    }
    out
}

/// `--json FIELDS` the way `gh` takes it: the word after `--json` is its fields when it is a
/// comma list of output fields, else the next argument of the command (`refine --json goal
/// list`, `refine goal show --json 12`).
fn normalize_args(args: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut known: Option<std::collections::HashSet<String>> = None;
    let mut it = args.into_iter().peekable();
    while let Some(a) = it.next() {
        if a == "--" {
            out.push(a);
            out.extend(it);
            break;
        }
        if a == "--json" {
            if let Some(next) = it.peek() {
                let fields = known.get_or_insert_with(output_fields);
                let commands = Cli::command();
                let is_command = |w: &str| commands.find_subcommand(w).is_some();
                // Before the subcommand, a lone word naming one is the subcommand
                // (`refine --json status`), not a field.
                let command_next =
                    !next.contains(',') && is_command(next) && !out.iter().any(|w| is_command(w));
                if !command_next && output::is_field_list(next, &|f| fields.contains(f)) {
                    let next = it.next().unwrap_or_default();
                    out.push(format!("--json={next}"));
                    continue;
                }
            }
        }
        out.push(a);
    }
    out
}

fn data_dir(cli: &Cli) -> PathBuf {
    dir_or_default(&cli.data_dir)
}

fn dir_or_default(dir: &Option<PathBuf>) -> PathBuf {
    dir.clone()
        .unwrap_or_else(refine_core::daemon::default_data_dir)
}

async fn serve(cli: &DaemonArgs, data_dir: PathBuf) -> std::result::Result<(), String> {
    // glibc gives each thread that contends for the heap an arena of its own, and freed memory
    // in one is not reused by another: two arenas keep a daemon of many short blocking tasks
    // from growing its resident memory with its thread count.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    let _logs = refine_server::logging::init(&data_dir);
    let mut opts = refine_server::daemon::DaemonOptions::new(data_dir);
    opts.port = cli.port;
    opts.bind = cli.bind;
    opts.allow_remote = cli.allow_remote;
    opts.ui_dir = cli.ui_dir.clone();
    opts.cluster = (!cli.cluster.is_empty()).then(|| cli.cluster.clone());
    opts.node_name = cli.node_name.clone();
    let daemon = refine_server::daemon::start(opts)
        .await
        .map_err(|e| e.to_string())?;
    let core = daemon.core.clone();
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        tracing::info!("signal received; shutting down");
        core.request_shutdown();
    });
    if !daemon.repair.interrupted_operations.is_empty() {
        eprintln!(
            "Start-up repair: {} operation(s) of the previous run marked interrupted",
            daemon.repair.interrupted_operations.len()
        );
    }
    println!("Refine is listening on {}", daemon.login_url());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    daemon.serve().await.map_err(|e| e.to_string())?;
    eprintln!("Refine stopped");
    Ok(())
}

async fn start_daemon(daemon: &DaemonArgs, data_dir: PathBuf) {
    if let Err(e) = serve(daemon, data_dir).await {
        eprintln!("refine: {e}");
        std::process::exit(1);
    }
}

/// Polls between looks at the runtime's global queue (tokio's default is 61). Work woken from
/// outside the runtime lands there (results of the blocking pool, output read by process
/// threads), and behind 61 polls of terminals printing as fast as they can it waited tens of
/// milliseconds.
const GLOBAL_QUEUE_INTERVAL: u32 = 4;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .global_queue_interval(GLOBAL_QUEUE_INTERVAL)
        .build()
        .expect("the async runtime");
    runtime.block_on(run())
}

async fn run() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        if let Ok(s) = ServeCli::try_parse_from(&args) {
            start_daemon(&s.daemon, dir_or_default(&s.data_dir)).await;
            return;
        }
    }
    let cli = Cli::parse_from(normalize_args(args));
    if cli.daemon.serve && cli.command.is_some() {
        eprintln!("refine: --serve runs the daemon; it takes no subcommand");
        std::process::exit(2);
    }
    if cli.daemon.serve {
        start_daemon(&cli.daemon, data_dir(&cli)).await;
        return;
    }
    // A CLI whose output is piped into `head` should end quietly, not panic.
    // SAFETY: restoring the default disposition before any other thread writes.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let Some(command) = &cli.command else {
        let _ = Cli::command().print_help();
        std::process::exit(2);
    };
    if let Command::AgentScript { args } = command {
        std::process::exit(agent_script::run(args));
    }
    if let Command::Completions { shell } = command {
        clap_complete::generate(
            *shell,
            &mut Cli::command(),
            "refine",
            &mut std::io::stdout(),
        );
        return;
    }
    let out = match output::Output::new(cli.json.as_deref(), cli.jq.as_deref()) {
        Ok(o) => o,
        Err(e) => {
            output::Output::human().error(&e);
            std::process::exit(e.exit_code());
        }
    };
    let code = match commands::run(&cli, command, &data_dir(&cli), &out).await {
        // Without a daemon, a backup copies the file itself.
        Err(refine_client::CliError::NoDaemon(_)) if matches!(command, Command::Backup(_)) => {
            let Command::Backup(a) = command else {
                unreachable!()
            };
            match cmd::upgrade::backup_offline(&data_dir(&cli), a, &out) {
                Ok(()) => 0,
                Err(e) => {
                    out.error(&e);
                    e.exit_code()
                }
            }
        }
        Ok(()) => 0,
        Err(e) => {
            out.error(&e);
            e.exit_code()
        }
    };
    std::process::exit(code);
}

impl Cli {
    pub fn json(&self) -> bool {
        self.json.is_some() || self.jq.is_some()
    }
}

pub(crate) type Result<T = ()> = std::result::Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Leaf subcommand paths below a group (`list`, `profiles save`, …).
    fn leaves(cmd: &clap::Command, prefix: &str, out: &mut BTreeSet<String>) {
        let subs: Vec<&clap::Command> = cmd
            .get_subcommands()
            .filter(|s| s.get_name() != "help")
            .collect();
        if subs.is_empty() {
            out.insert(prefix.trim().to_string());
        }
        for s in subs {
            leaves(s, &format!("{prefix} {}", s.get_name()), out);
        }
    }

    /// Local commands, which call no operation (restore works on the data dir, no daemon).
    const UNTYPED: &[&str] = &["completions", "agent-script", "restore"];

    #[test]
    fn every_command_maps_to_operations_and_every_cli_operation_has_a_command() {
        let root = Cli::command();
        let mut covered: BTreeSet<&str> = BTreeSet::new();
        for (group, commands) in cmd::GROUPS {
            let g = root
                .find_subcommand(group)
                .unwrap_or_else(|| panic!("no `refine {group}`"));
            let mut paths = BTreeSet::new();
            leaves(g, "", &mut paths);
            let declared: BTreeSet<String> = commands.iter().map(|(p, _)| p.to_string()).collect();
            assert_eq!(
                paths, declared,
                "`refine {group}` commands and its COMMANDS table differ"
            );
            for (path, ops) in *commands {
                assert!(
                    !ops.is_empty(),
                    "`refine {group} {path}` names no operation"
                );
                for op in *ops {
                    assert!(
                        refine_api::find(op).is_some(),
                        "`refine {group} {path}` names an unknown operation {op}"
                    );
                    covered.insert(op);
                }
            }
        }
        for top in root.get_subcommands().map(|s| s.get_name()) {
            assert!(
                top == "help"
                    || UNTYPED.contains(&top)
                    || cmd::GROUPS.iter().any(|(g, _)| *g == top),
                "`refine {top}` is neither a typed group nor listed as untyped"
            );
        }
        // Every operation marked for the CLI has a command (`Op::no_cli()` marks the others).
        let missing: Vec<&str> = refine_api::registry()
            .iter()
            .filter(|o| o.cli && !covered.contains(o.name))
            .map(|o| o.name)
            .collect();
        assert!(
            missing.is_empty(),
            "operations without a `refine` command: {missing:?}"
        );
    }

    #[test]
    fn global_options_go_before_or_after_the_subcommand() {
        for args in [
            vec!["refine", "--json", "goal", "list"],
            vec!["refine", "goal", "list", "--json"],
            vec!["refine", "--data-dir", "/x", "goal", "list"],
            vec![
                "refine",
                "goal",
                "list",
                "--url",
                "http://127.0.0.1:1",
                "--actor",
                "me",
            ],
        ] {
            let cli =
                Cli::try_parse_from(normalize_args(args.iter().map(|s| s.to_string()).collect()))
                    .unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(cli.command.is_some());
        }
        let cli = Cli::try_parse_from(normalize_args(
            ["refine", "goal", "list", "--json", "number,title"]
                .map(String::from)
                .to_vec(),
        ))
        .unwrap();
        assert_eq!(cli.json.as_deref(), Some("number,title"));
        let cli = Cli::try_parse_from(normalize_args(
            ["refine", "goal", "show", "--json", "12"]
                .map(String::from)
                .to_vec(),
        ))
        .unwrap();
        assert_eq!(cli.json.as_deref(), Some(""), "12 is the Goal, not a field");
        // `status` is a field and a subcommand: after the subcommand it is the field.
        let parse = |args: &[&str]| {
            Cli::try_parse_from(normalize_args(args.iter().map(|s| s.to_string()).collect()))
                .unwrap()
        };
        let cli = parse(&["refine", "goal", "list", "--json", "number,title,status"]);
        assert_eq!(cli.json.as_deref(), Some("number,title,status"));
        let cli = parse(&["refine", "goal", "list", "--json", "status"]);
        assert_eq!(cli.json.as_deref(), Some("status"));
        let cli = parse(&["refine", "--json", "status"]);
        assert_eq!(cli.json.as_deref(), Some(""));
        assert!(matches!(cli.command, Some(Command::Status)));
        let cli = parse(&["refine", "--data-dir", "/x", "--json", "status"]);
        assert!(matches!(cli.command, Some(Command::Status)));
    }
}
