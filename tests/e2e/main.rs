//! End-to-end tests against the real `refine` binary: the CLI in bash against a real daemon,
//! daemon lifecycle and data-dir security, and crash recovery after `kill -9`.

mod agents;
mod bestof;
mod changes;
mod chat;
mod cli;
mod cluster;
mod cluster_share;
mod crash;
mod environment;
mod governance;
mod harden;
mod lifecycle;
mod operate;
mod preview;
mod publish;
mod review;
mod terminal;
mod webhooks;
mod work;
