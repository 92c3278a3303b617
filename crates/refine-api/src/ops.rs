//! The declarations, one module per capability group.

mod activity;
mod apps;
mod operations;
mod project;
mod settings;
mod system;

use crate::registry::OpDef;

pub(crate) fn all() -> Vec<OpDef> {
    let mut v = Vec::new();
    v.extend(system::ops());
    v.extend(apps::ops());
    v.extend(project::ops());
    v.extend(settings::ops());
    v.extend(operations::ops());
    v.extend(activity::ops());
    v
}
