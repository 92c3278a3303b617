//! The subcommands: each group's commands live in `cmd/<group>.rs` and call typed operations.

use std::path::Path;

use crate::{Cli, Command, Result};
use refine_client::Client;

pub async fn run(
    cli: &Cli,
    command: &Command,
    data_dir: &Path,
    out: &crate::output::Output,
) -> Result {
    // Restoring replaces the database under a daemon: it runs only when there is none.
    if let Command::Restore(a) = command {
        return crate::cmd::upgrade::restore(data_dir, a, out);
    }
    let c = Client::discover(cli.url.clone(), data_dir, cli.actor.clone())?;
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
        Command::Project(a) => crate::cmd::project::run(&run, a).await?,
        Command::Perf(a) => crate::cmd::perf::run(&run, a).await?,
        Command::Doctor(a) => crate::cmd::doctor::run(&run, a).await?,
        Command::Logs(a) => crate::cmd::logs::run(&run, a).await?,
        Command::Cache(cmd) => crate::cmd::cache::run(&run, cmd).await?,
        Command::Nodes(cmd) => crate::cmd::nodes::run_nodes(&run, cmd).await?,
        Command::Cluster(cmd) => crate::cmd::nodes::run_cluster(&run, cmd).await?,
        Command::Upgrade(a) => crate::cmd::upgrade::status(&run, a).await?,
        Command::Backup(a) => crate::cmd::upgrade::backup(&run, a).await?,
        Command::Files(cmd) => crate::cmd::files::run(&run, cmd).await?,
        Command::Term(cmd) => crate::cmd::term::run(&run, cmd).await?,
        Command::Reporter(cmd) => crate::cmd::reporter::run(&run, cmd).await?,
        Command::Todo(cmd) => crate::cmd::todo::run(&run, cmd).await?,
        Command::Review(cmd) => crate::cmd::review::run(&run, cmd).await?,
        Command::Webhook(cmd) => crate::cmd::webhook::run(&run, cmd).await?,
        Command::Automation(cmd) => crate::cmd::automation::run(&run, cmd).await?,
        Command::Agent(cmd) => crate::cmd::agent::run(&run, cmd).await?,
        Command::Runner(cmd) => crate::cmd::runner::run(&run, cmd).await?,
        Command::Changes(cmd) => crate::cmd::changes::run(&run, cmd).await?,
        Command::Proc(cmd) => crate::cmd::proc::run(&run, cmd).await?,
        Command::Target(cmd) => crate::cmd::target::run(&run, cmd).await?,
        Command::Quality(a) => crate::cmd::quality::run(&run, a).await?,
        Command::Governance(a) => crate::cmd::governance::run(&run, a).await?,
        Command::Guidance(a) => crate::cmd::guidance::run(&run, a).await?,
        Command::Chat(cmd) => crate::cmd::chat::run(&run, cmd).await?,
        Command::Completions { .. } | Command::AgentScript { .. } | Command::Restore(_) => {
            unreachable!("handled before connecting")
        }
    }
    Ok(())
}
