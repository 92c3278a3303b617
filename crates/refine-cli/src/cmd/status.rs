//! `refine status`: the daemon and its apps.

use refine_api::ops::{apps, system};
use refine_core::system::Empty;
use refine_model::system::SystemInfo;
use refine_model::App;
use serde::Serialize;

use super::{Commands, Run};
use crate::render::{opt, Cell, Printer, Render};
use crate::Result;

pub const COMMANDS: Commands = &[("", &[system::INFO.name, apps::LIST.name])];

/// What `status` shows: the daemon (`system.info`) and the apps (`apps.list`).
#[derive(Serialize)]
pub struct Status {
    pub info: SystemInfo,
    pub apps: Vec<App>,
}

pub async fn run(r: &Run<'_>) -> Result {
    let info = r.c.run(system::INFO, &Empty {}).await?;
    let apps = r.c.run(apps::LIST, &Empty {}).await?;
    r.out.show(&Status { info, apps })
}

impl Render for Status {
    fn render(&self, p: &mut Printer) {
        let i = &self.info;
        p.line(format!(
            "Refine {} (API {}) is running",
            i.version, i.api_version
        ));
        let active = self
            .apps
            .iter()
            .find(|a| a.active)
            .map_or_else(|| "detached".to_string(), |a| format!("active: {}", a.name));
        p.fields(&[
            ("url", Cell::from(opt(&i.url))),
            ("pid", Cell::from(i.pid)),
            ("uptime", Cell::from(format!("{}s", i.uptime_seconds))),
            ("data dir", Cell::from(&i.data_dir)),
            ("node", Cell::from(&i.node_id)),
            (
                "apps",
                Cell::from(format!("{} ({active})", self.apps.len())),
            ),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn status_renders_from_its_typed_output() {
        let info: SystemInfo = serde_json::from_value(serde_json::json!({
            "name": "refine", "version": "0.3.0", "apiVersion": "2.0", "nodeId": "n1",
            "dataDir": "/data", "startedAt": "2026-01-01T00:00:00Z", "uptimeSeconds": 42,
            "buildProfile": "debug", "pid": 7, "url": "http://127.0.0.1:7878"
        }))
        .expect("a SystemInfo");
        let text = shown(&Status { info, apps: vec![] });
        assert!(
            text.starts_with("Refine 0.3.0 (API 2.0) is running\n")
                && text.contains("  url:       http://127.0.0.1:7878\n")
                && text.contains("  uptime:    42s\n")
                && text.contains("  apps:      0 (detached)\n"),
            "{text}"
        );
    }
}
