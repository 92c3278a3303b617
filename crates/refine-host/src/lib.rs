//! Host mechanisms: everything that touches the machine outside the database.

pub mod changes;
pub mod files;
pub mod git;
pub mod process;
pub mod pty;
pub mod refs;
pub mod shape;
pub mod worktree;
