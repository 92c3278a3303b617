//! `refine sessions`: browser sessions (who signed in, last use, expiry) and revoking them.

use clap::Subcommand;
use refine_api::ops::sessions;
use refine_client::CliError;
use refine_core::sessions::SessionIdInput;
use refine_core::system::Empty;
use refine_model::session::BrowserSession;

use super::{Commands, Run};
use crate::render::{toned, Cell, Printer, Render, Tone};
use crate::Result;

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

pub const COMMANDS: Commands = &[
    ("list", &[sessions::LIST.name]),
    ("revoke", &[sessions::REVOKE.name, sessions::LIST.name]),
];

pub async fn run(r: &Run<'_>, cmd: &SessionsCmd) -> Result {
    let c = r.c;
    match cmd {
        SessionsCmd::List => r
            .out
            .show(&SessionList(c.run(sessions::LIST, &Empty {}).await?)),
        SessionsCmd::Revoke { id, all } => {
            let ids: Vec<String> = match (id, all) {
                (Some(id), _) => vec![id.clone()],
                (None, true) => c
                    .run(sessions::LIST, &Empty {})
                    .await?
                    .into_iter()
                    .filter(|s| s.revoked_at.is_none())
                    .map(|s| s.id)
                    .collect(),
                (None, false) => {
                    return Err(CliError::Usage(
                        "name a session id (see `refine sessions list`) or pass --all".into(),
                    ))
                }
            };
            let mut revoked = Vec::new();
            for id in ids {
                revoked.push(c.run(sessions::REVOKE, &SessionIdInput { id }).await?);
            }
            r.out.show(&Revoked(revoked))
        }
    }
}

/// `sessions list`: one row per browser session.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct SessionList(pub Vec<BrowserSession>);

impl Render for SessionList {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|s| {
                let standing = match &s.revoked_at {
                    None => Cell::from(format!("until {}", s.expires_at)),
                    Some(at) => toned(format!("revoked {at}"), Tone::Dim),
                };
                vec![
                    Cell::from(&s.id),
                    Cell::from(&s.label),
                    Cell::from(&s.created_at),
                    Cell::from(&s.last_used_at),
                    standing,
                ]
            })
            .collect();
        p.table(&["id", "browser", "signed in", "last used", "state"], rows);
    }
}

/// `sessions revoke`: the sessions it ended.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Revoked(pub Vec<BrowserSession>);

impl Render for Revoked {
    fn render(&self, p: &mut Printer) {
        if self.0.is_empty() {
            p.line("No live browser sessions");
        }
        for s in &self.0 {
            p.line(format!("Revoked {} ({})", s.id, s.label));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    fn session(revoked: Option<&str>) -> BrowserSession {
        serde_json::from_value(serde_json::json!({
            "id": "s1", "label": "Chrome 156 on Linux", "createdAt": "2026-01-01T00:00:00Z",
            "lastUsedAt": "2026-01-01T01:00:00Z", "expiresAt": "2026-01-08T01:00:00Z",
            "revokedAt": revoked, "current": false
        }))
        .expect("a BrowserSession")
    }

    #[test]
    fn sessions_render_from_their_typed_output() {
        let list = shown(&SessionList(vec![
            session(None),
            session(Some("2026-01-02T00:00:00Z")),
        ]));
        assert!(
            list.contains("s1  Chrome 156 on Linux  2026-01-01T00:00:00Z  2026-01-01T01:00:00Z  until 2026-01-08T01:00:00Z")
                && list.contains("revoked 2026-01-02T00:00:00Z"),
            "{list}"
        );
        assert_eq!(shown(&SessionList(vec![])), "(none)\n");
        assert_eq!(
            shown(&Revoked(vec![session(None)])),
            "Revoked s1 (Chrome 156 on Linux)\n"
        );
        assert_eq!(shown(&Revoked(vec![])), "No live browser sessions\n");
    }
}
