//! `refine stop`: stop the daemon cleanly.

use refine_api::ops::system;
use refine_core::system::Empty;

use super::{Commands, Run};
use crate::Result;

pub const COMMANDS: Commands = &[("", &[system::SHUTDOWN.name])];

pub async fn run(r: &Run<'_>) -> Result {
    let ack = r.c.run(system::SHUTDOWN, &Empty {}).await?;
    r.out.done(&ack, |_| "Refine is stopping".into())
}
