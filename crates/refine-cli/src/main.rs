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
mod agents;
mod changes;
mod chat;
mod commands;
mod files;
mod governance;
mod out;
mod procs;
mod sessions;
mod table;
mod term;
mod work;

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};

use refine_client::CliError;

#[derive(Parser, Debug)]
#[command(
    name = "refine",
    version,
    about = "Refine: plan, run and review coding-agent work on your app",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
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

    /// Data directory (default: $REFINE_HOME, else ~/.local/share/refine).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Daemon URL (default: from the data dir's daemon.json).
    #[arg(long, global = true, env = "REFINE_URL")]
    url: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// Who you are, for the audit log.
    #[arg(long, global = true, env = "REFINE_ACTOR")]
    actor: Option<String>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Daemon status: version, URL, uptime, apps.
    Status,
    /// Target apps: add, list, show, remove, select, rescan.
    #[command(subcommand)]
    Apps(commands::AppsCmd),
    /// Settings: show, or set one value.
    #[command(subcommand)]
    Settings(commands::SettingsCmd),
    /// Durable operations: list, show, cancel.
    #[command(subcommand)]
    Ops(commands::OpsCmd),
    /// The audit log (newest last); --follow keeps printing new entries.
    Activity(commands::ActivityArgs),
    /// Follow the live event stream.
    Events {
        /// Resume after this event id.
        #[arg(long)]
        since: Option<String>,
    },
    /// Goals: create, list, show, edit, move, approve, decline, retry, cancel, delete.
    #[command(subcommand)]
    Goal(work::GoalCmd),
    /// Features: ordered groups of Goals.
    #[command(subcommand)]
    Feature(work::FeatureCmd),
    /// Import Goals from Markdown, CSV, GitHub issue JSON, Jira CSV or a Refine export.
    Import {
        /// The file (`-` = standard input).
        file: String,
        /// markdown, csv, github, jira or refine (default: guessed from the file).
        #[arg(long)]
        format: Option<String>,
        /// CSV column mapping, e.g. --map title=Summary --map labels=Tags.
        #[arg(long)]
        map: Vec<String>,
        /// Preview only: show what would happen, store nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The app's work at a glance.
    Dashboard,
    /// Reporters: people, agents and systems that report work.
    #[command(subcommand)]
    Reporter(work::ReporterCmd),
    /// A reporter's todo list.
    #[command(subcommand)]
    Todo(work::TodoCmd),
    /// Pause or resume automation for the active app.
    #[command(subcommand)]
    Automation(work::AutomationCmd),
    /// The app's Git changes: status, diff, log, commit, revert, stage, unstage, churn.
    #[command(subcommand)]
    Changes(changes::ChangesCmd),
    /// The active app's files: ls, cat, find (fuzzy), grep (regex).
    #[command(subcommand)]
    Files(files::FilesCmd),
    /// Supervised processes: list, start, stop, restart, logs.
    #[command(subcommand)]
    Proc(procs::ProcCmd),
    /// The app's own lifecycle: status, start, stop, build, test, set.
    #[command(subcommand)]
    Target(procs::TargetCmd),
    /// Terminal sessions in the daemon: list, new, attach (Ctrl-] detaches), close.
    #[command(subcommand)]
    Term(term::TermCmd),
    /// The app's quality tests and instructions, and the evaluation history.
    Quality(governance::QualityArgs),
    /// The app's governance: product statement, constitution, rules.
    Governance(governance::GovernanceArgs),
    /// Guidance entries given to agents: list, add, edit, enable, disable, rm.
    Guidance(governance::GuidanceArgs),
    /// Chat threads with an agent: list, new, show, send (streams the reply), rename, rm, draft.
    #[command(subcommand)]
    Chat(chat::ChatCmd),
    /// Coding agents: list, detect, profiles, set, reset, attach, runs.
    #[command(subcommand)]
    Agent(agents::AgentCmd),
    /// Runner workers: status, pause, resume, stop.
    #[command(subcommand)]
    Runner(agents::RunnerCmd),
    /// Call any operation: `refine call apps.add '{"path":"/repo"}'`.
    Call {
        /// Operation name (see --list).
        op: Option<String>,
        /// JSON input (default {}); `-` reads standard input.
        input: Option<String>,
        /// List every operation.
        #[arg(long)]
        list: bool,
    },
    /// Open the UI in a browser: prints (and opens) a one-time login link.
    Open,
    /// Browser sessions: list, revoke.
    #[command(subcommand)]
    Sessions(sessions::SessionsCmd),
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

fn data_dir(cli: &Cli) -> PathBuf {
    cli.data_dir
        .clone()
        .unwrap_or_else(refine_core::daemon::default_data_dir)
}

async fn serve(cli: &Cli) -> std::result::Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("REFINE_LOG")
        .unwrap_or_else(|_| "info,tower=warn,hyper=warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let mut opts = refine_server::daemon::DaemonOptions::new(data_dir(cli));
    opts.port = cli.port;
    opts.bind = cli.bind;
    opts.allow_remote = cli.allow_remote;
    opts.ui_dir = cli.ui_dir.clone();
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

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if cli.serve {
        if let Err(e) = serve(&cli).await {
            eprintln!("refine: {e}");
            std::process::exit(1);
        }
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
    let code = match commands::run(&cli, command, &data_dir(&cli)).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("refine: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}

impl Cli {
    pub fn json(&self) -> bool {
        self.json
    }
}

pub(crate) type Result<T = ()> = std::result::Result<T, CliError>;
