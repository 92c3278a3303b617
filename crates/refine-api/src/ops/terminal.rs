use refine_core::terminal::{
    CreateTerminalInput, ListTerminalsInput, RenameTerminalInput, ResizeTerminalInput,
    TerminalIdInput, TerminalInputInput, TerminalScrollbackInput,
};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d("terminal.list", Get, "/api/v1/terminal", "Open terminal sessions (all apps, or one app's), oldest first.", true)
            .query(|core, ctx, i: ListTerminalsInput| async move { core.list_terminals(&ctx, i).await }),
        d("terminal.create", Post, "/api/v1/terminal", "Open a terminal session on a PTY in the app (default: the user's login shell); attach at /api/v1/terminal/{id}/ws.", true)
            .mutation(m, |core, ctx, i: CreateTerminalInput| async move { core.create_terminal(&ctx, i).await }),
        d("terminal.get", Get, "/api/v1/terminal/{id}", "One terminal session: program, size, attached clients, exit code.", true)
            .query(|core, _, i: TerminalIdInput| async move { core.get_terminal(i).await }),
        d("terminal.resize", Post, "/api/v1/terminal/{id}/resize", "Set a terminal's size in columns and rows.", false)
            .mutation(m, |core, ctx, i: ResizeTerminalInput| async move { core.resize_terminal(&ctx, i).await }),
        d("terminal.input", Post, "/api/v1/terminal/{id}/input", "Type text into a terminal (\"\\r\" is Enter); for clients without the WebSocket.", true)
            .mutation(m, |core, ctx, i: TerminalInputInput| async move { core.terminal_input(&ctx, i).await }),
        d("terminal.rename", Post, "/api/v1/terminal/{id}/rename", "Change a terminal's title.", false)
            .mutation(m, |core, ctx, i: RenameTerminalInput| async move { core.rename_terminal(&ctx, i).await }),
        d("terminal.scrollback", Get, "/api/v1/terminal/{id}/scrollback", "The last KiB of a terminal's output as text (escape sequences included).", true)
            .query(|core, _, i: TerminalScrollbackInput| async move { core.terminal_scrollback(i).await }),
        d("terminal.close", Delete, "/api/v1/terminal/{id}", "Close a terminal: hang up its program and kill its whole session.", true)
            .mutation(m, |core, ctx, i: TerminalIdInput| async move { core.close_terminal(&ctx, i).await }),
    ]
}
