//! quality: the project's plain-text tests and the instructions for checking them (one
//! revision-fenced record per app), and the history of evaluations the automation recorded.

use crate::events::kind;
use refine_model::event::AppRevision;
use refine_model::quality::{
    check_tests, QualityEvaluation, QualitySettings, MAX_INSTRUCTIONS_CHARS,
};
use refine_model::ApiError;
use refine_store::quality as table;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::governance::{check_app, stale};
use crate::{wire, Change, Core, Ctx, Mutated};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QualitySettingsInput {
    /// Default: the active app.
    #[serde(default)]
    pub app_id: Option<String>,
}

/// Replace the tests and instructions. Fenced by the revision read: a stale one is a 409.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateQualitySettingsInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub revision: u32,
    /// At most 100 plain-text tests, each 1–2,000 characters.
    pub tests: Vec<String>,
    /// At most 20,000 characters.
    pub instructions: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QualityHistoryInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// Only this Goal's evaluations (a UUID or `#12`).
    #[serde(default)]
    pub goal_id: Option<String>,
    /// 1–500, default 50.
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QualityEvaluationIdInput {
    pub id: String,
}

impl Core {
    /// `quality.settings.get`
    pub async fn quality_settings_get(
        &self,
        ctx: &Ctx,
        i: QualitySettingsInput,
    ) -> Result<QualitySettings, ApiError> {
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.read(move |c| table::settings(c, &app.id)).await
    }

    /// `quality.settings.update`
    pub async fn update_quality_settings(
        &self,
        ctx: &Ctx,
        i: UpdateQualitySettingsInput,
    ) -> Result<Mutated<QualitySettings>, ApiError> {
        let tests = check_tests(&i.tests).map_err(ApiError::invalid)?;
        wire::text(
            "instructions",
            &i.instructions,
            MAX_INSTRUCTIONS_CHARS,
            true,
        )?;
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.mutate(ctx, &i.clone(), async { Ok(()) }, move |tx, ()| {
            check_app(tx, &app.id)?;
            let current = table::settings(tx, &app.id)?;
            if current.revision != i.revision {
                return Err(stale("the quality settings", current.revision, i.revision));
            }
            let next = QualitySettings {
                app_id: app.id.clone(),
                tests,
                instructions: i.instructions,
                revision: current.revision + 1,
            };
            table::put_settings(tx, &next)?;
            let change = Change::new(format!(
                "Edited the quality settings of {} ({} test(s))",
                app.name,
                next.tests.len()
            ))
            .app(Some(app.id.clone()))
            .target(app.id.clone())
            .event(
                kind::QUALITY_UPDATED,
                &AppRevision {
                    app_id: app.id.clone(),
                    revision: next.revision,
                },
            );
            Ok((next, change))
        })
        .await
    }

    /// `quality.evaluations.list`: evaluations of the app (or one Goal), newest first.
    pub async fn quality_evaluations_list(
        &self,
        ctx: &Ctx,
        i: QualityHistoryInput,
    ) -> Result<Vec<QualityEvaluation>, ApiError> {
        let limit = i.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(ApiError::invalid("limit must be 1–500"));
        }
        let app = self.resolve_app(ctx, i.app_id.as_deref()).await?;
        self.blocking(move |core| {
            core.store().read(|c| {
                let goal = match i.goal_id.as_deref() {
                    Some(g) => Some(crate::work::find_goal(c, Some(&app.id), g)?.id),
                    None => None,
                };
                table::evaluations(c, &app.id, goal.as_deref(), limit).map_err(ApiError::from)
            })
        })
        .await
    }

    /// `quality.evaluations.get`
    pub async fn quality_evaluations_get(
        &self,
        i: QualityEvaluationIdInput,
    ) -> Result<QualityEvaluation, ApiError> {
        if i.id.is_empty() || i.id.len() > 100 || i.id.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "an evaluation id is 1–100 visible characters",
            ));
        }
        let id = i.id.clone();
        self.read(move |c| table::get_evaluation(c, &id))
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no quality evaluation {}", i.id)))
    }
}
