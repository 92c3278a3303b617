//! `refine events`: the live event stream (one JSON line per event with `--json`), or with
//! `--list` every kind of event and the queries it makes stale.

use clap::builder::PossibleValuesParser;
use clap::Args;
use refine_api::events::EventInfo;
use refine_api::ops::system;
use refine_core::events::kind;
use refine_core::system::Empty;
use refine_model::Event;

use super::{Commands, Run};
use crate::render::{Cell, Printer, Render};
use crate::Result;

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Resume after this event id (sent as `?lastEventId=`).
    #[arg(long)]
    since: Option<String>,
    /// Only events of these kinds (repeat the flag); `resync` always comes through.
    #[arg(long = "kind", value_parser = kinds())]
    kinds: Vec<String>,
    /// List every kind of event instead of following them.
    #[arg(long, conflicts_with_all = ["since", "kinds"])]
    list: bool,
}

pub const COMMANDS: Commands = &[("", &[system::EVENTS.name])];

fn kinds() -> PossibleValuesParser {
    PossibleValuesParser::new(kind::ALL.iter().map(|k| k.name))
}

pub async fn run(r: &Run<'_>, a: &EventsArgs) -> Result {
    if a.list {
        return r
            .out
            .show(&EventKinds(r.c.run(system::EVENTS, &Empty {}).await?));
    }
    let wanted = |ev: &Event| {
        a.kinds.is_empty() || ev.kind == kind::RESYNC.name() || a.kinds.contains(&ev.kind)
    };
    let mut failed = None;
    r.c.follow(a.since.clone(), |ev| {
        if !wanted(&ev) {
            return true;
        }
        let shown = if r.out.is_json() {
            r.out.json_line(&ev)
        } else {
            let mut p = Printer::new(r.out.color);
            ev.render(&mut p);
            p.flush();
            Ok(())
        };
        match shown {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })
    .await?;
    failed.map_or(Ok(()), Err)
}

/// One event on one line: its id, kind and data.
impl Render for Event {
    fn render(&self, p: &mut Printer) {
        p.line(format!("{}  {:<22} {}", self.id, self.kind, self.data));
    }
}

/// `events --list`: every kind of event.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct EventKinds(pub Vec<EventInfo>);

impl Render for EventKinds {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .0
            .iter()
            .map(|e| {
                vec![
                    Cell::from(&e.kind),
                    Cell::from(e.stale.join(", ")),
                    Cell::from(&e.doc),
                ]
            })
            .collect();
        p.table(&["kind", "makes stale", "doc"], rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;

    #[test]
    fn events_render_from_their_typed_output() {
        let ev: Event = serde_json::from_value(serde_json::json!({
            "id": "12", "kind": "apps.added", "at": "2026-01-01T00:00:00Z", "appId": null,
            "data": {"name": "web"}
        }))
        .expect("an Event");
        assert_eq!(
            shown(&ev),
            "12  apps.added             {\"name\":\"web\"}\n"
        );
        let kinds: Vec<EventInfo> = serde_json::from_value(serde_json::json!([
            {"kind": "apps.added", "doc": "An app was registered.", "stale": ["apps.list"], "data": {}}
        ]))
        .expect("EventInfo");
        assert_eq!(
            shown(&EventKinds(kinds)),
            "KIND        MAKES STALE  DOC\napps.added  apps.list    An app was registered.\n"
        );
    }
}
