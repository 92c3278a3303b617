//! Refine with the real agent CLIs (Claude Code, Codex), offline: the pinned CLIs installed by
//! `tests/agents/install.sh` run against the model-API stand-in (`tests/agents/standin.py`) in a
//! loopback-only network namespace (`tests/agents/offline.sh`); `make test-real` runs this.
//! The tests refuse to run where other hosts are reachable.

mod denial;
mod detect;
mod feature;
mod harness;
mod limits;
mod robust;
