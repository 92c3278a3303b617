//! Integration tests of the HTTP transport, driven by the operation registry: security matrix,
//! parity with in-process dispatch, idempotency, bad input, events, MCP. Routers are exercised
//! with `oneshot` (no socket).

mod cache;
mod changes;
mod chat;
mod diagnostics;
mod events;
mod files;
mod governance;
mod harden;
mod idempotency;
mod input;
mod mcp;
mod parity;
mod performance;
mod processes;
mod security;
mod support;
mod target;
mod terminal;
mod upgrade;
mod work;
