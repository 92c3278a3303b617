//! The declarations, one module per capability group.

mod activity;
mod agents;
mod apps;
mod changes;
mod chat;
mod dashboard;
mod files;
mod governance;
mod guidance;
mod import;
mod operations;
mod processes;
mod project;
mod quality;
mod reporters;
mod sessions;
mod settings;
mod system;
mod target;
mod terminal;
mod work;
mod workflow;

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
    v.extend(work::ops());
    v.extend(workflow::ops());
    v.extend(reporters::ops());
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
    v.extend(chat::ops());
    v
}
