//! Browser sessions.

use refine_core::sessions::{ExchangeInput, LoginLinkInput, SessionIdInput};
use refine_core::system::Empty;
use refine_model::session::{BrowserSession, LoginLink, SessionGrant};

use crate::registry::{Method::*, Op, OpDef};

pub const EXCHANGE: Op<ExchangeInput, SessionGrant> = Op::mutation(
    "sessions.exchange",
    Post,
    "/api/v1/sessions/exchange",
    "Trade a one-time login code (from a login link) for a browser session secret; the one call a browser makes before it has credentials.",
    false,
)
.public()
.no_cli();

pub const LIST: Op<Empty, Vec<BrowserSession>> = Op::query(
    "sessions.list",
    Get,
    "/api/v1/sessions",
    "Browser sessions (who signed in, when, last use, expiry, revoked); `current` marks the caller's own.",
    false,
);

pub const LINK: Op<LoginLinkInput, LoginLink> = Op::mutation(
    "sessions.link",
    Post,
    "/api/v1/sessions/link",
    "A one-time login link for a browser (valid 15 minutes, works once); for holders of the data dir's token only.",
    false,
);

pub const REVOKE: Op<SessionIdInput, BrowserSession> = Op::mutation(
    "sessions.revoke",
    Post,
    "/api/v1/sessions/{id}/revoke",
    "End a browser session now: its requests, event streams and terminals stop working.",
    false,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        EXCHANGE.handle(|core, ctx, i| async move {
            let agent = ctx.client.clone();
            core.exchange_login_code(&ctx, i, agent).await
        }),
        LIST.handle(|core, ctx, _i| async move { core.sessions_list(&ctx).await }),
        LINK.handle(|core, ctx, i| async move { core.sessions_link(&ctx, i).await }),
        REVOKE.handle(|core, ctx, i| async move { core.sessions_revoke(&ctx, i).await }),
    ]
}
