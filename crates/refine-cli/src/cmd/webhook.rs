//! `refine webhook`: the app's webhooks and their delivery history.

use clap::Subcommand;
use refine_api::ops::webhooks;
use refine_core::webhooks::{
    CreateWebhookInput, DeliveriesInput, ListWebhooksInput, UpdateWebhookInput, WebhookIdInput,
};
use refine_model::webhooks::{Webhook, WebhookDelivery};

use super::{Commands, Run};
use crate::render::{opt, state, Printer, Render};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum WebhookCmd {
    /// The app's webhooks.
    List,
    /// Add a webhook for event kinds (`refine events --list` names them); prints its secret once.
    Add {
        url: String,
        /// An event kind to send (repeat for more).
        #[arg(long = "event", short, required = true)]
        events: Vec<String>,
        /// Allow plain http to a loopback receiver.
        #[arg(long)]
        allow_http: bool,
    },
    /// Change a webhook.
    Edit {
        id: String,
        #[arg(long)]
        url: Option<String>,
        /// The event kinds, replacing the current ones.
        #[arg(long = "event", short)]
        events: Vec<String>,
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        #[arg(long)]
        disable: bool,
    },
    /// Delete a webhook and its history.
    #[command(alias = "rm", alias = "remove")]
    Delete { id: String },
    /// A webhook's deliveries, newest first.
    Deliveries {
        id: String,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Send a ping delivery now.
    Ping { id: String },
}

pub const COMMANDS: Commands = &[
    ("list", &[webhooks::LIST.name]),
    ("add", &[webhooks::CREATE.name]),
    ("edit", &[webhooks::UPDATE.name]),
    ("delete", &[webhooks::DELETE.name]),
    ("deliveries", &[webhooks::DELIVERIES.name]),
    ("ping", &[webhooks::PING.name]),
];

pub async fn run(r: &Run<'_>, cmd: &WebhookCmd) -> Result {
    let c = r.c;
    match cmd {
        WebhookCmd::List => r.out.show(&Hooks(
            c.run(webhooks::LIST, &ListWebhooksInput { app_id: None })
                .await?,
        )),
        WebhookCmd::Add {
            url,
            events,
            allow_http,
        } => {
            let input = CreateWebhookInput {
                app_id: None,
                url: url.clone(),
                events: events.clone(),
                allow_http: Some(*allow_http),
            };
            let made = c.run(webhooks::CREATE, &input).await?;
            r.out.done(&made, |m| {
                format!(
                    "Webhook {} → {}\nSecret (shown once): {}\nVerify X-Refine-Signature-256 = sha256=<hex HMAC-SHA256 of the body>",
                    m.webhook.id, m.webhook.url, m.secret
                )
            })
        }
        WebhookCmd::Edit {
            id,
            url,
            events,
            enable,
            disable,
        } => {
            let input = UpdateWebhookInput {
                id: id.clone(),
                url: url.clone(),
                events: (!events.is_empty()).then(|| events.clone()),
                allow_http: None,
                enabled: if *enable {
                    Some(true)
                } else if *disable {
                    Some(false)
                } else {
                    None
                },
            };
            r.out
                .show(&Hooks(vec![c.run(webhooks::UPDATE, &input).await?]))
        }
        WebhookCmd::Delete { id } => {
            let w = c
                .run(webhooks::DELETE, &WebhookIdInput { id: id.clone() })
                .await?;
            r.out
                .done(&w, |w| format!("Deleted webhook {} ({})", w.id, w.url))
        }
        WebhookCmd::Deliveries { id, limit } => {
            let input = DeliveriesInput {
                id: id.clone(),
                limit: *limit,
            };
            r.out
                .show(&Deliveries(c.run(webhooks::DELIVERIES, &input).await?))
        }
        WebhookCmd::Ping { id } => {
            let d = c
                .run(webhooks::PING, &WebhookIdInput { id: id.clone() })
                .await?;
            r.out.done(&d, |d| {
                format!(
                    "Ping queued as delivery {} (refine webhook deliveries {id})",
                    d.id
                )
            })
        }
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Hooks(pub Vec<Webhook>);

impl Render for Hooks {
    fn render(&self, p: &mut Printer) {
        p.table(
            &["ID", "URL", "EVENTS", "ENABLED", "SECRET"],
            self.0
                .iter()
                .map(|w| {
                    vec![
                        w.id.clone().into(),
                        w.url.clone().into(),
                        w.events.join(",").into(),
                        if w.enabled { "yes" } else { "no" }.into(),
                        format!("…{}", w.secret_hint).into(),
                    ]
                })
                .collect(),
        );
    }
}

#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Deliveries(pub Vec<WebhookDelivery>);

impl Render for Deliveries {
    fn render(&self, p: &mut Printer) {
        p.table(
            &[
                "ID", "EVENT", "STATUS", "ATTEMPTS", "ANSWER", "NEXT", "ERROR",
            ],
            self.0
                .iter()
                .map(|d| {
                    vec![
                        d.id.into(),
                        d.event_kind.clone().into(),
                        state(&d.status),
                        d.attempts.into(),
                        opt(&d.response_code).into(),
                        opt(&d.next_attempt_at).into(),
                        opt(&d.error).into(),
                    ]
                })
                .collect(),
        );
    }
}
