//! Terminal sessions.

use refine_core::terminal::{
    CreateTerminalInput, ListTerminalsInput, RenameTerminalInput, ResizeTerminalInput,
    TerminalIdInput, TerminalInputInput, TerminalScrollbackInput,
};
use refine_model::terminal::{TerminalInfo, TerminalScrollback};

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<ListTerminalsInput, Vec<TerminalInfo>> = Op::query(
    "terminal.list",
    Get,
    "/api/v1/terminal",
    "Open terminal sessions (all apps, or one app's), oldest first.",
    true,
);

pub const CREATE: Op<CreateTerminalInput, TerminalInfo> = Op::mutation(
    "terminal.create",
    Post,
    "/api/v1/terminal",
    "Open a terminal session on a PTY in the app (default: the user's login shell); attach at /api/v1/terminal/{id}/ws.",
    true,
);

pub const GET: Op<TerminalIdInput, TerminalInfo> = Op::query(
    "terminal.get",
    Get,
    "/api/v1/terminal/{id}",
    "One terminal session: program, size, attached clients, exit code.",
    true,
);

pub const RESIZE: Op<ResizeTerminalInput, TerminalInfo> = Op::mutation(
    "terminal.resize",
    Post,
    "/api/v1/terminal/{id}/resize",
    "Set a terminal's size in columns and rows.",
    false,
);

pub const INPUT: Op<TerminalInputInput, TerminalInfo> = Op::mutation(
    "terminal.input",
    Post,
    "/api/v1/terminal/{id}/input",
    "Type text into a terminal (\"\\r\" is Enter); for clients without the WebSocket.",
    true,
);

pub const RENAME: Op<RenameTerminalInput, TerminalInfo> = Op::mutation(
    "terminal.rename",
    Post,
    "/api/v1/terminal/{id}/rename",
    "Change a terminal's title.",
    false,
);

pub const SCROLLBACK: Op<TerminalScrollbackInput, TerminalScrollback> = Op::query(
    "terminal.scrollback",
    Get,
    "/api/v1/terminal/{id}/scrollback",
    "The last KiB of a terminal's output as text (escape sequences included).",
    true,
);

pub const CLOSE: Op<TerminalIdInput, TerminalInfo> = Op::mutation(
    "terminal.close",
    Delete,
    "/api/v1/terminal/{id}",
    "Close a terminal: hang up its program and kill its whole session.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(|core, ctx, i| async move { core.terminal_list(&ctx, i).await }),
        CREATE.handle(|core, ctx, i| async move { core.terminal_create(&ctx, i).await }),
        GET.handle(|core, _, i| async move { core.terminal_get(i).await }),
        RESIZE.handle(|core, ctx, i| async move { core.terminal_resize(&ctx, i).await }),
        INPUT.handle(|core, ctx, i| async move { core.terminal_input(&ctx, i).await }),
        RENAME.handle(|core, ctx, i| async move { core.terminal_rename(&ctx, i).await }),
        SCROLLBACK.handle(|core, _, i| async move { core.terminal_scrollback(i).await }),
        CLOSE.handle(|core, ctx, i| async move { core.terminal_close(&ctx, i).await }),
    ]
}
