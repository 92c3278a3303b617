//! `refine activity`: the audit log, newest last; `--follow` keeps printing new entries.

use clap::Args;
use refine_api::ops::activity;
use refine_core::activity::{ActivityListInput, ActivityPage};
use refine_core::events::kind;
use refine_model::{Activity, Surface};

use super::apps::app_id;
use super::{next_page, page_limit, wire_enum, Commands, Run};
use crate::render::{wire, Printer, Render, Tone};
use crate::Result;

#[derive(Args, Debug)]
pub struct ActivityArgs {
    /// Keep printing new entries (one JSON line each with --json).
    #[arg(long, short)]
    follow: bool,
    /// Only this app (name or id).
    #[arg(long)]
    app: Option<String>,
    /// Only this surface.
    #[arg(long, value_parser = wire_enum::<Surface>())]
    surface: Option<Surface>,
    /// Only this operation (`apps.add`) or group (`apps`).
    #[arg(long)]
    operation: Option<String>,
    /// Only this actor.
    #[arg(long)]
    actor: Option<String>,
    /// Entries per page (1..=500).
    #[arg(long, default_value_t = 20, value_parser = page_limit())]
    limit: u32,
    /// Older entries: the page after this one (`nextCursor` of the previous one).
    #[arg(long)]
    cursor: Option<String>,
}

pub const COMMANDS: Commands = &[("", &[activity::LIST.name, refine_api::ops::apps::LIST.name])];

pub async fn run(r: &Run<'_>, a: &ActivityArgs) -> Result {
    let app_id = match &a.app {
        Some(x) => Some(app_id(r.c, x).await?),
        None => None,
    };
    let input = ActivityListInput {
        app_id,
        actor: a.actor.clone(),
        surface: a.surface,
        operation: a.operation.clone(),
        since: None,
        until: None,
        limit: Some(a.limit),
        cursor: a.cursor.clone(),
    };
    let page = r.c.run(activity::LIST, &input).await?;
    if !a.follow {
        return r.out.show(&page);
    }
    // A stream: each entry on its own, oldest first, then the new ones as they happen.
    let show = |entry: &Activity| -> Result {
        if r.out.is_json() {
            r.out.json_line(entry)
        } else {
            let mut p = Printer::new(r.out.color);
            entry.render(&mut p);
            p.flush();
            Ok(())
        }
    };
    for entry in page.items.iter().rev() {
        show(entry)?;
    }
    let mut failed = None;
    r.c.follow(None, |ev| {
        if ev.kind != kind::ACTIVITY_CREATED.name() {
            return true;
        }
        match serde_json::from_value::<Activity>(ev.data) {
            Ok(entry) if matches(&input, &entry) => match show(&entry) {
                Ok(()) => true,
                Err(e) => {
                    failed = Some(e);
                    false
                }
            },
            _ => true,
        }
    })
    .await?;
    failed.map_or(Ok(()), Err)
}

/// Whether a new entry passes the filters the list was asked with.
fn matches(f: &ActivityListInput, a: &Activity) -> bool {
    f.app_id
        .as_ref()
        .is_none_or(|x| a.app_id.as_ref() == Some(x))
        && f.surface.is_none_or(|s| a.surface == s)
        && f.actor.as_ref().is_none_or(|x| &a.actor == x)
        && f.operation.as_ref().is_none_or(|x| {
            if x.contains('.') {
                &a.operation == x
            } else {
                a.operation.starts_with(&format!("{x}."))
            }
        })
}

/// One audit entry on one line.
impl Render for Activity {
    fn render(&self, p: &mut Printer) {
        let time = self.at.get(..19).unwrap_or(&self.at).replace('T', " ");
        p.line(format!(
            "{time}  {:<8} {:<10} {:<20} {}",
            wire(&self.surface),
            self.actor,
            self.operation,
            self.summary
        ));
    }
}

/// A page of the log, oldest first (the newest at the bottom, where a person looks).
impl Render for ActivityPage {
    fn render(&self, p: &mut Printer) {
        if self.items.is_empty() {
            p.toned("(none)", Tone::Dim);
        }
        for entry in self.items.iter().rev() {
            entry.render(p);
        }
        next_page(p, &self.next_cursor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    fn entry(op: &str) -> Activity {
        serde_json::from_value(serde_json::json!({
            "id": "e1", "at": "2026-01-01T12:30:00.123Z", "actor": "ada", "surface": "cli",
            "operation": op, "appId": "a1", "target": null, "summary": "Added app web",
            "operationId": null
        }))
        .expect("an Activity")
    }

    #[test]
    fn activity_renders_oldest_first_and_filters_like_the_log() {
        let page = ActivityPage {
            items: vec![entry("apps.select"), entry("apps.add")],
            next_cursor: Some("17".into()),
        };
        assert_eq!(
            shown(&page),
            "2026-01-01 12:30:00  cli      ada        apps.add             Added app web\n\
             2026-01-01 12:30:00  cli      ada        apps.select          Added app web\n\
             more: --cursor 17\n"
        );
        let group = ActivityListInput {
            operation: Some("apps".into()),
            ..Default::default()
        };
        assert!(matches(&group, &entry("apps.add")));
        assert!(!matches(&group, &entry("appsx.add")));
        let exact = ActivityListInput {
            operation: Some("apps.add".into()),
            surface: Some(Surface::Mcp),
            ..Default::default()
        };
        assert!(!matches(&exact, &entry("apps.add")), "another surface");
    }
}
