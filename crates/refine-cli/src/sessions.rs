//! `refine sessions` and `refine open`: browser sessions and the one-time links that start them.

use clap::Subcommand;
use refine_client::Client;
use serde_json::{json, Value};

use crate::commands::{print_json, s};
use crate::{table, Result};

#[derive(Subcommand, Debug)]
pub enum SessionsCmd {
    /// Browser sessions: who signed in, last use, expiry (revoked ones too).
    List,
    /// End a browser session now (`--all`: every live one).
    Revoke {
        id: Option<String>,
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
}

fn live(x: &Value) -> bool {
    x["revokedAt"].is_null()
}

pub async fn run(c: &Client, cmd: &SessionsCmd, json_out: bool) -> Result<()> {
    match cmd {
        SessionsCmd::List => {
            let list = c.call("sessions.list", json!({})).await?;
            if json_out {
                print_json(&list);
                return Ok(());
            }
            let rows = list
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| {
                    vec![
                        s(x, "id"),
                        s(x, "label"),
                        s(x, "createdAt"),
                        s(x, "lastUsedAt"),
                        if live(x) {
                            format!("until {}", s(x, "expiresAt"))
                        } else {
                            format!("revoked {}", s(x, "revokedAt"))
                        },
                    ]
                })
                .collect();
            table::print(&["id", "browser", "signed in", "last used", "state"], rows);
        }
        SessionsCmd::Revoke { id, all } => {
            let ids: Vec<String> = match (id, all) {
                (Some(id), _) => vec![id.clone()],
                (None, true) => c
                    .call("sessions.list", json!({}))
                    .await?
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|x| live(x))
                    .map(|x| s(x, "id"))
                    .collect(),
                (None, false) => {
                    return Err(refine_client::CliError::Usage(
                        "name a session id (see `refine sessions list`) or pass --all".into(),
                    ))
                }
            };
            let mut done = Vec::new();
            for id in ids {
                let r = c.call("sessions.revoke", json!({ "id": id })).await?;
                if !json_out {
                    println!("Revoked {} ({})", s(&r, "id"), s(&r, "label"));
                }
                done.push(r);
            }
            if json_out {
                print_json(&Value::Array(done));
            } else if done.is_empty() {
                println!("No live browser sessions");
            }
        }
    }
    Ok(())
}

/// `refine open`: a fresh one-time login link, opened in the desktop's browser when there is
/// one, and printed.
pub async fn open(c: &Client, json_out: bool) -> Result<()> {
    let link = c.call("sessions.link", json!({})).await?;
    if json_out {
        print_json(&link);
        return Ok(());
    }
    let url = s(&link, "url");
    println!("{url}");
    println!("(works once, until {})", s(&link, "expiresAt"));
    if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some() {
        let _ = std::process::Command::new("xdg-open")
            .arg(&url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
    Ok(())
}
