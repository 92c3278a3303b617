//! The declarations, one module per capability group: each holds the typed handle of every
//! operation of its group (`ops::apps::ADD`, …) and binds their handlers.

pub mod activity;
pub mod agents;
pub mod apps;
pub mod cache;
pub mod changes;
pub mod chat;
pub mod cluster;
pub mod dashboard;
pub mod diagnostics;
pub mod features;
pub mod files;
pub mod goals;
pub mod governance;
pub mod guidance;
pub mod import;
pub mod nodes;
pub mod operations;
pub mod performance;
pub mod previews;
pub mod processes;
pub mod project;
pub mod quality;
pub mod reporters;
pub mod review;
pub mod runner;
pub mod sessions;
pub mod settings;
pub mod system;
pub mod target;
pub mod terminal;
pub mod todos;
pub mod upgrade;
pub mod webhooks;
pub mod workflow;

use crate::registry::OpDef;

pub(crate) fn all() -> Vec<OpDef> {
    let mut v = Vec::new();
    v.extend(system::ops());
    v.extend(sessions::ops());
    v.extend(apps::ops());
    v.extend(project::ops());
    v.extend(settings::ops());
    v.extend(operations::ops());
    v.extend(activity::ops());
    v.extend(goals::ops());
    v.extend(features::ops());
    v.extend(workflow::ops());
    v.extend(reporters::ops());
    v.extend(todos::ops());
    v.extend(import::ops());
    v.extend(dashboard::ops());
    v.extend(changes::ops());
    v.extend(processes::ops());
    v.extend(target::ops());
    v.extend(quality::ops());
    v.extend(governance::ops());
    v.extend(guidance::ops());
    v.extend(files::ops());
    v.extend(terminal::ops());
    v.extend(agents::ops());
    v.extend(runner::ops());
    v.extend(review::ops());
    v.extend(webhooks::ops());
    v.extend(previews::ops());
    v.extend(chat::ops());
    v.extend(performance::ops());
    v.extend(diagnostics::ops());
    v.extend(upgrade::ops());
    v.extend(cache::ops());
    v.extend(nodes::ops());
    v.extend(cluster::ops());
    v
}
