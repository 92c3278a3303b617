//! system: health, identity, shutdown. (The operation catalogue lives with the registry.)

use crate::events::kind;
use refine_model::system::{Health, SystemInfo};
use refine_model::ApiError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::{Change, Core, Ctx, Mutated};

/// No input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Acknowledgement of a shutdown request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShutdownAck {
    pub stopping: bool,
}

impl Core {
    /// `system.health`
    pub fn health(&self) -> Health {
        Health {
            status: "ok".to_string(),
        }
    }

    /// `system.info`
    pub fn info(&self) -> SystemInfo {
        SystemInfo {
            name: "Refine".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            api_version: refine_model::API_VERSION.to_string(),
            node_id: self.0.node_id.clone(),
            data_dir: self.0.data_dir.to_string_lossy().to_string(),
            started_at: self.0.started_at.clone(),
            uptime_seconds: self.0.started.elapsed().as_secs().min(u32::MAX as u64) as u32,
            build_profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .to_string(),
            pid: std::process::id(),
            url: self.url(),
        }
    }

    /// `system.shutdown`: stop the daemon cleanly after answering.
    pub async fn system_shutdown(&self, ctx: &Ctx) -> Result<Mutated<ShutdownAck>, ApiError> {
        let out = self
            .mutate(ctx, &Empty {}, async { Ok(()) }, |_, ()| {
                Ok((
                    ShutdownAck { stopping: true },
                    Change::new("Daemon shutdown requested")
                        .event(kind::SYSTEM_SHUTDOWN, &Empty {}),
                ))
            })
            .await?;
        self.request_shutdown();
        Ok(out)
    }
}
