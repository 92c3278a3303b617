//! Quality settings, evaluations and their history.

use refine_core::quality::{
    QualityEvaluationIdInput, QualityHistoryInput, QualitySettingsInput, UpdateQualitySettingsInput,
};
use refine_core::runner::{EvaluateInput, Evaluation};
use refine_model::quality::{QualityEvaluation, QualitySettings};

use crate::registry::{Method::*, Op, OpDef};

pub const EVALUATE: Op<EvaluateInput, Evaluation> = Op::mutation(
    "quality.evaluate",
    Post,
    "/api/v1/quality/evaluate",
    "Run the project's tests against a Goal's candidate now (one agent-proposed command per test, run supervised).",
    true,
);

pub const SETTINGS_GET: Op<QualitySettingsInput, QualitySettings> = Op::query(
    "quality.settings.get",
    Get,
    "/api/v1/quality/settings",
    "The app's plain-text quality tests and the instructions for checking them, with their revision.",
    true,
);

pub const SETTINGS_UPDATE: Op<UpdateQualitySettingsInput, QualitySettings> = Op::mutation(
    "quality.settings.update",
    Put,
    "/api/v1/quality/settings",
    "Replace the quality tests (at most 100, each 1–2,000 characters) and instructions; send the revision you read (stale → 409).",
    false,
);

pub const EVALUATIONS_LIST: Op<QualityHistoryInput, Vec<QualityEvaluation>> = Op::query(
    "quality.evaluations.list",
    Get,
    "/api/v1/quality/evaluations",
    "Quality evaluations of the app (or of one Goal), newest first, with every check's command, exit code and log excerpt.",
    true,
);

pub const EVALUATIONS_GET: Op<QualityEvaluationIdInput, QualityEvaluation> = Op::query(
    "quality.evaluations.get",
    Get,
    "/api/v1/quality/evaluations/{id}",
    "One quality evaluation.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        EVALUATE.handle(|core, ctx, i| async move { core.quality_evaluate(&ctx, i).await }),
        SETTINGS_GET.handle(|core, ctx, i| async move { core.quality_settings_get(&ctx, i).await }),
        SETTINGS_UPDATE
            .handle(|core, ctx, i| async move { core.update_quality_settings(&ctx, i).await }),
        EVALUATIONS_LIST
            .handle(|core, ctx, i| async move { core.quality_evaluations_list(&ctx, i).await }),
        EVALUATIONS_GET.handle(|core, _, i| async move { core.quality_evaluations_get(i).await }),
    ]
}
