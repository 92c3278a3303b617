//! `refine ops`: durable operations (long-running work and its receipts).

use clap::builder::PossibleValuesParser;
use clap::Subcommand;
use refine_api::ops::operations;
use refine_api::OpKind;
use refine_core::operations::{OperationIdInput, OperationPage, OperationsListInput};
use refine_model::{OperationReceipt, OperationStatus};

use super::{next_page, page_limit, wire_enum, Commands, Run};
use crate::render::{opt, state, wire, Cell, Printer, Render};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum OpsCmd {
    /// List operations, newest first, a page at a time.
    List {
        #[arg(long, value_parser = wire_enum::<OperationStatus>())]
        status: Option<OperationStatus>,
        /// The operation that started them, e.g. apps.rescan.
        #[arg(long, value_parser = long_running())]
        kind: Option<String>,
        /// Operations per page (1..=500).
        #[arg(long, default_value_t = 20, value_parser = page_limit())]
        limit: u32,
        /// Start at this page (`nextCursor` of the previous one).
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Show one operation.
    Show { id: String },
    /// Cancel a running operation.
    Cancel { id: String },
}

pub const COMMANDS: Commands = &[
    ("list", &[operations::LIST.name]),
    ("show", &[operations::GET.name]),
    ("cancel", &[operations::CANCEL.name]),
];

/// The long-running operations: what an operation's `kind` can be.
fn long_running() -> PossibleValuesParser {
    PossibleValuesParser::new(
        refine_api::registry()
            .iter()
            .filter(|o| o.kind == OpKind::LongRunning)
            .map(|o| o.name),
    )
}

pub async fn run(r: &Run<'_>, cmd: &OpsCmd) -> Result {
    let c = r.c;
    match cmd {
        OpsCmd::List {
            status,
            kind,
            limit,
            cursor,
        } => {
            let input = OperationsListInput {
                status: *status,
                kind: kind.clone(),
                app_id: None,
                limit: Some(*limit),
                cursor: cursor.clone(),
            };
            r.out.show(&c.run(operations::LIST, &input).await?)
        }
        OpsCmd::Show { id } => {
            let id = id.clone();
            r.out
                .show(&c.run(operations::GET, &OperationIdInput { id }).await?)
        }
        OpsCmd::Cancel { id } => {
            let id = id.clone();
            let o = c.run(operations::CANCEL, &OperationIdInput { id }).await?;
            r.out
                .done(&o, |o| format!("Operation {} is {}", o.id, wire(&o.status)))
        }
    }
}

impl Render for OperationPage {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .items
            .iter()
            .map(|o| {
                vec![
                    Cell::from(&o.id),
                    Cell::from(&o.kind),
                    state(wire(&o.status)),
                    Cell::from(format!("{}%", o.progress)),
                    Cell::from(wire(&o.surface)),
                    Cell::from(&o.created_at),
                ]
            })
            .collect();
        p.table(
            &["id", "kind", "status", "progress", "surface", "created"],
            rows,
        );
        next_page(p, &self.next_cursor);
    }
}

/// One receipt: where it stands, and its result or error.
impl Render for OperationReceipt {
    fn render(&self, p: &mut Printer) {
        p.line(format!("{} {}", self.kind, self.id));
        let mut fields = vec![
            ("status", state(wire(&self.status))),
            ("progress", Cell::from(format!("{}%", self.progress))),
            ("message", Cell::from(opt(&self.message))),
            (
                "by",
                Cell::from(format!("{} ({})", self.actor, wire(&self.surface))),
            ),
            ("app", Cell::from(opt(&self.app_id))),
            ("created", Cell::from(&self.created_at)),
            ("finished", Cell::from(opt(&self.finished_at))),
        ];
        if let Some(e) = &self.error {
            fields.push(("error", Cell::from(&e.message)));
        }
        if let Some(v) = &self.result {
            fields.push(("result", Cell::from(v)));
        }
        p.fields(&fields);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::shown;
    use clap::builder::TypedValueParser;

    fn receipt() -> OperationReceipt {
        serde_json::from_value(serde_json::json!({
            "id": "0190a1b2-0000-7000-8000-0000000000o1", "kind": "apps.rescan", "status": "failed",
            "progress": 40, "message": "scanning", "result": null,
            "error": {"code": "unavailable", "message": "the disk went away"},
            "idempotencyKey": null, "appId": "a1", "actor": "ada", "surface": "cli",
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:01Z",
            "finishedAt": "2026-01-01T00:00:01Z"
        }))
        .expect("an OperationReceipt")
    }

    #[test]
    fn operations_render_from_their_typed_output() {
        let page = OperationPage {
            items: vec![receipt()],
            next_cursor: Some("2026-01-01T00:00:00Z|x".into()),
        };
        let list = shown(&page);
        assert!(
            list.contains(
                "0190a1b2-0000-7000-8000-0000000000o1  apps.rescan  failed  40%       cli      2026-01-01T00:00:00Z"
            ) && list.ends_with("more: --cursor 2026-01-01T00:00:00Z|x\n"),
            "{list}"
        );
        let one = shown(&receipt());
        assert!(
            one.starts_with("apps.rescan 0190a1b2")
                && one.contains("status:    failed")
                && one.contains("by:        ada (cli)")
                && one.contains("error:     the disk went away"),
            "{one}"
        );
        assert!(long_running()
            .possible_values()
            .is_some_and(|mut v| v.any(|p| p.get_name() == "apps.rescan")));
    }
}
