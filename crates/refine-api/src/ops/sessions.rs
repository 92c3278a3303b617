use refine_core::sessions::{ExchangeInput, LoginLinkInput, SessionIdInput};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    let mut exchange = d("sessions.exchange", Post, "/api/v1/sessions/exchange", "Trade a one-time login code (from a login link) for a browser session secret; the one call a browser makes before it has credentials.", false)
        .mutation(m, |core, ctx, i: ExchangeInput| async move {
            let agent = ctx.client.clone();
            core.exchange_login_code(&ctx, i, agent).await
        });
    exchange.public = true;
    vec![
        d("sessions.list", Get, "/api/v1/sessions", "Browser sessions (who signed in, when, last use, expiry, revoked); `current` marks the caller's own.", false)
            .query(|core, ctx, _i: refine_core::system::Empty| async move { core.list_sessions(&ctx).await }),
        d("sessions.link", Post, "/api/v1/sessions/link", "A one-time login link for a browser (valid 15 minutes, works once); for holders of the data dir's token only.", false)
            .mutation(m, |core, ctx, i: LoginLinkInput| async move { core.create_login_link(&ctx, i).await }),
        exchange,
        d("sessions.revoke", Post, "/api/v1/sessions/{id}/revoke", "End a browser session now: its requests, event streams and terminals stop working.", false)
            .mutation(m, |core, ctx, i: SessionIdInput| async move { core.revoke_session(&ctx, i).await }),
    ]
}
