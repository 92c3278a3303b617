//! Webhooks: per-app URLs that receive signed JSON POSTs for chosen event kinds.

use refine_core::webhooks::{
    CreateWebhookInput, DeliveriesInput, ListWebhooksInput, UpdateWebhookInput, WebhookIdInput,
};
use refine_model::webhooks::{Webhook, WebhookCreated, WebhookDelivery};

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<ListWebhooksInput, Vec<Webhook>> = Op::query(
    "webhooks.list",
    Get,
    "/api/v1/webhooks",
    "The app's webhooks: URL, event kinds, whether plain http to loopback is allowed, enabled, and the last four characters of the signing secret.",
    true,
);

pub const CREATE: Op<CreateWebhookInput, WebhookCreated> = Op::mutation(
    "webhooks.create",
    Post,
    "/api/v1/webhooks",
    "Add a webhook: `https` URL (plain `http` only to a loopback address, with `allowHttp`) and the event kinds it receives. The answer holds the signing secret, shown only now: each delivery carries `X-Refine-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, `X-Refine-Event` and `X-Refine-Delivery`.",
    true,
);

pub const UPDATE: Op<UpdateWebhookInput, Webhook> = Op::mutation(
    "webhooks.update",
    Patch,
    "/api/v1/webhooks/{id}",
    "Change a webhook's URL, event kinds, http allowance, or enable/disable it.",
    true,
);

pub const DELETE: Op<WebhookIdInput, Webhook> = Op::mutation(
    "webhooks.delete",
    Delete,
    "/api/v1/webhooks/{id}",
    "Delete a webhook and its delivery history.",
    true,
);

pub const DELIVERIES: Op<DeliveriesInput, Vec<WebhookDelivery>> = Op::query(
    "webhooks.deliveries",
    Get,
    "/api/v1/webhooks/{id}/deliveries",
    "A webhook's deliveries, newest first: event, status (pending, delivered, failed), attempts, the last answer or error, and when it is tried next (back-off 1 s doubling to 5 min, six attempts).",
    true,
);

pub const PING: Op<WebhookIdInput, WebhookDelivery> = Op::mutation(
    "webhooks.ping",
    Post,
    "/api/v1/webhooks/{id}/ping",
    "Send a `webhook.ping` delivery now, to try the receiver and its signature check.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, ctx, i| async move { core.webhooks_list(&ctx, i).await }),
        CREATE.handle(|core, ctx, i| async move { core.webhooks_create(&ctx, i).await }),
        UPDATE.handle(|core, ctx, i| async move { core.webhooks_update(&ctx, i).await }),
        DELETE.handle(|core, ctx, i| async move { core.webhooks_delete(&ctx, i).await }),
        DELIVERIES.handle(|core, ctx, i| async move { core.webhooks_deliveries(&ctx, i).await }),
        PING.handle(|core, ctx, i| async move { core.webhooks_ping(&ctx, i).await }),
    ]
}
