//! `refine apps`: target apps.

use std::path::Path;

use clap::Subcommand;
use refine_api::ops::apps;
use refine_client::{CliError, Client};
use refine_core::apps::{AddAppInput, AppIdInput, SelectAppInput, Selection};
use refine_core::system::Empty;
use refine_model::{App, OperationStatus};

use super::{pick_one, wait, Commands, Run};
use crate::render::{opt, Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum AppsCmd {
    /// Register a Git repository (default: the current directory).
    Add {
        path: Option<String>,
        #[arg(long)]
        name: Option<String>,
    },
    /// List registered apps.
    List,
    /// Show one app (by name, id or id prefix).
    Show { app: String },
    /// Forget an app (its files are untouched).
    #[command(alias = "rm", alias = "remove")]
    Delete { app: String },
    /// Make an app the active one.
    Select {
        app: Option<String>,
        /// Detach: no active app.
        #[arg(long, conflicts_with = "app")]
        none: bool,
    },
    /// Re-detect an app's shape (shows progress).
    Rescan { app: String },
}

pub const COMMANDS: Commands = &[
    ("add", &[apps::ADD.name]),
    ("list", &[apps::LIST.name]),
    ("show", &[apps::GET.name, apps::LIST.name]),
    ("delete", &[apps::DELETE.name, apps::LIST.name]),
    ("select", &[apps::SELECT.name, apps::LIST.name]),
    (
        "rescan",
        &[apps::RESCAN.name, apps::GET.name, apps::LIST.name],
    ),
];

/// An app given by name, id or unique id prefix.
pub async fn app_id(c: &Client, given: &str) -> Result<String> {
    let list = c.run(apps::LIST, &Empty {}).await?;
    let app = pick_one(
        "app",
        given,
        &list,
        |a| &a.id,
        |a| &a.name,
        "`refine apps list` shows them",
    )?;
    Ok(app.id.clone())
}

/// The id of `--app` when given (else the daemon takes the active app).
pub async fn app_opt(c: &Client, given: &Option<String>) -> Result<Option<String>> {
    match given {
        Some(a) => Ok(Some(app_id(c, a).await?)),
        None => Ok(None),
    }
}

pub async fn run(r: &Run<'_>, cmd: &AppsCmd) -> Result {
    let c = r.c;
    match cmd {
        AppsCmd::Add { path, name } => {
            let raw = path.clone().unwrap_or_else(|| ".".into());
            let p = Path::new(&raw);
            let abs = p.canonicalize().unwrap_or_else(|_| {
                std::env::current_dir()
                    .map(|d| d.join(p))
                    .unwrap_or_else(|_| p.to_path_buf())
            });
            let input = AddAppInput {
                path: abs.to_string_lossy().into_owned(),
                name: name.clone(),
            };
            let app = c.run(apps::ADD, &input).await?;
            r.out.done(&app, |a| {
                let mut p = Printer::new(false);
                a.render(&mut p);
                format!("Added app {} ({})\n{}", a.name, a.id, p.text().trim_end())
            })
        }
        AppsCmd::List => r.out.show(&AppList(c.run(apps::LIST, &Empty {}).await?)),
        AppsCmd::Show { app } => {
            let id = app_id(c, app).await?;
            r.out.show(&c.run(apps::GET, &AppIdInput { id }).await?)
        }
        AppsCmd::Delete { app } => {
            let id = app_id(c, app).await?;
            let a = c.run(apps::DELETE, &AppIdInput { id }).await?;
            r.out.done(&a, |a| {
                format!("Removed app {} ({}); its files are untouched", a.name, a.id)
            })
        }
        AppsCmd::Select { app, none } => {
            let id = match (app, none) {
                (Some(a), false) => Some(app_id(c, a).await?),
                (None, true) => None,
                _ => {
                    return Err(CliError::Usage(
                        "name an app, or pass --none to detach".into(),
                    ))
                }
            };
            let sel = c.run(apps::SELECT, &SelectAppInput { id }).await?;
            r.out.show(&sel)
        }
        AppsCmd::Rescan { app } => {
            let id = app_id(c, app).await?;
            let receipt = c.run(apps::RESCAN, &AppIdInput { id: id.clone() }).await?;
            let done = wait(r, receipt).await?;
            if r.out.is_json() {
                r.out.json(&done)?;
            } else if done.status == OperationStatus::Succeeded {
                let a = c.run(apps::GET, &AppIdInput { id }).await?;
                let mut p = Printer::new(r.out.color);
                p.toned("Rescan succeeded", Tone::Good);
                a.render(&mut p);
                p.flush();
            } else {
                let mut p = Printer::new(r.out.color);
                p.toned(
                    format!(
                        "Rescan {}: {}",
                        crate::render::wire(&done.status),
                        done.error.as_ref().map_or("", |e| e.message.as_str())
                    ),
                    Tone::Bad,
                );
                p.flush();
            }
            if done.status != OperationStatus::Succeeded {
                return Err(CliError::Api(refine_model::ApiError::unavailable(format!(
                    "the rescan {}",
                    crate::render::wire(&done.status)
                ))));
            }
            Ok(())
        }
    }
}

/// `apps list`: one row per app, `*` marks the active one.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct AppList(pub Vec<App>);

impl Render for AppList {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|a| {
                let langs: Vec<String> = a
                    .shape
                    .languages
                    .iter()
                    .take(3)
                    .map(|l| format!("{} {}", l.name, l.files))
                    .collect();
                vec![
                    Cell::from(if a.active { "*" } else { "" }),
                    Cell::from(&a.name),
                    Cell::from(&a.id),
                    Cell::from(opt(&a.default_branch)),
                    Cell::from(langs.join(", ")),
                    Cell::from(&a.path),
                ]
            })
            .collect();
        p.table(&["", "name", "id", "branch", "languages", "path"], rows);
    }
}

impl Render for App {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "{}{}",
            self.name,
            if self.active { "  (active)" } else { "" }
        ));
        let list = |v: Vec<String>| {
            if v.is_empty() {
                "-".to_string()
            } else {
                v.join(", ")
            }
        };
        let cmd = |c: &Option<Vec<String>>| c.as_ref().map_or("-".to_string(), |c| c.join(" "));
        let shape = &self.shape;
        p.fields(&[
            ("id", Cell::from(&self.id)),
            ("path", Cell::from(&self.path)),
            ("branch", Cell::from(opt(&self.default_branch))),
            (
                "languages",
                Cell::from(list(
                    shape
                        .languages
                        .iter()
                        .map(|l| format!("{} ({})", l.name, l.files))
                        .collect(),
                )),
            ),
            ("packages", Cell::from(list(shape.package_managers.clone()))),
            ("build", Cell::from(cmd(&shape.commands.build))),
            ("test", Cell::from(cmd(&shape.commands.test))),
            ("start", Cell::from(cmd(&shape.commands.start))),
        ]);
    }
}

impl Render for Selection {
    fn render(&self, p: &mut Printer) {
        match &self.active {
            Some(a) => p.line(format!("Active app: {}", a.name)),
            None => p.line("Detached: no active app"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    fn app() -> App {
        serde_json::from_value(serde_json::json!({
            "id": "0190a1b2-0000-7000-8000-000000000001", "name": "shop", "path": "/src/shop",
            "defaultBranch": "main", "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
            "active": true,
            "shape": {"languages": [{"name": "Rust", "files": 12}], "packageManagers": ["cargo"],
                "commands": {"build": ["cargo", "build"], "test": ["cargo", "test"], "start": null},
                "filesScanned": 40, "truncated": false}
        }))
        .expect("an App")
    }

    #[test]
    fn apps_render_from_their_typed_output() {
        let list = shown(&AppList(vec![app()]));
        assert!(list.starts_with("   NAME  ID"), "{list}");
        assert!(
            list.contains(
                "*  shop  0190a1b2-0000-7000-8000-000000000001  main    Rust 12    /src/shop"
            ),
            "{list}"
        );
        let one = shown(&app());
        assert!(
            one.contains("shop  (active)")
                && one.contains("build:      cargo build")
                && one.contains("start:      -"),
            "{one}"
        );
        assert_eq!(
            shown(&Selection { active: None }),
            "Detached: no active app\n"
        );
    }
}
