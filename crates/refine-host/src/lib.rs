//! Host mechanisms: everything that touches the machine outside the database.

pub mod files;
pub mod git;
pub mod shape;
