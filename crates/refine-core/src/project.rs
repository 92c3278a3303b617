//! project: the active app's state at a glance.

use std::path::PathBuf;

use refine_host::git;
use refine_model::{ApiError, App};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::{Core, Ctx};

/// Which app to describe (default: the active app).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectInput {
    #[serde(default)]
    pub app_id: Option<String>,
}

/// A commit as shown in overviews.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitInfo {
    pub sha: String,
    pub subject: String,
    pub author: String,
    pub at: String,
}

/// Counts of Refine's own objects for the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectCounts {
    pub activity: u32,
    pub operations: u32,
}

/// The app's repository state and Refine's objects for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectOverview {
    pub app: App,
    /// The checked-out branch (`null` when HEAD is detached).
    pub branch: Option<String>,
    /// The HEAD commit (`null` in a repository without commits).
    pub head: Option<CommitInfo>,
    /// Paths with staged, unstaged or untracked changes.
    pub changed_files: u32,
    pub counts: ObjectCounts,
}

impl Core {
    /// `project.overview`
    pub async fn project_overview(
        &self,
        ctx: &Ctx,
        input: ProjectInput,
    ) -> Result<ProjectOverview, ApiError> {
        let app = self.resolve_app(ctx, input.app_id.as_deref()).await?;
        let root = PathBuf::from(&app.path);
        if !root.is_dir() {
            return Err(ApiError::precondition(format!(
                "the app's folder {} is gone; remove the app or restore the folder",
                app.path
            )));
        }
        let (branch, head, changed) = tokio::task::spawn_blocking(move || {
            let head = git::head_commit(&root)?;
            let changed = git::changed_files(&root)?;
            Ok::<_, git::GitError>((git::current_branch(&root), head, changed))
        })
        .await
        .map_err(|_| ApiError::internal("git failed"))?
        .map_err(|e| ApiError::unavailable(format!("git could not read the app: {e}")))?;
        let id = app.id.clone();
        let counts = self
            .read(move |c| {
                let activity = refine_store::activity::count(c, Some(&id))?;
                let operations: u32 = c.query_row(
                    "SELECT COUNT(*) FROM operations WHERE app_id = ?1",
                    [&id],
                    |r| r.get(0),
                )?;
                Ok(ObjectCounts {
                    activity,
                    operations,
                })
            })
            .await?;
        Ok(ProjectOverview {
            app,
            branch,
            head: head.map(|c| CommitInfo {
                sha: c.sha,
                subject: c.subject,
                author: c.author,
                at: c.at,
            }),
            changed_files: changed,
            counts,
        })
    }
}
