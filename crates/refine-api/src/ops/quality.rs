use refine_core::quality::{
    QualityEvaluationIdInput, QualityHistoryInput, QualitySettingsInput, UpdateQualitySettingsInput,
};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d(
            "quality.settings.get",
            Get,
            "/api/v1/quality/settings",
            "The app's plain-text quality tests and the instructions for checking them, with their revision.",
            true,
        )
        .query(|core, ctx, i: QualitySettingsInput| async move {
            core.quality_settings(&ctx, i).await
        }),
        d(
            "quality.settings.update",
            Put,
            "/api/v1/quality/settings",
            "Replace the quality tests (at most 100, each 1–2,000 characters) and instructions; send the revision you read (stale → 409).",
            false,
        )
        .mutation(m, |core, ctx, i: UpdateQualitySettingsInput| async move {
            core.update_quality_settings(&ctx, i).await
        }),
        d(
            "quality.history",
            Get,
            "/api/v1/quality/evaluations",
            "Quality evaluations of the app (or of one Goal), newest first, with every check's command, exit code and log excerpt.",
            true,
        )
        .query(|core, ctx, i: QualityHistoryInput| async move {
            core.quality_history(&ctx, i).await
        }),
        d(
            "quality.evaluation.get",
            Get,
            "/api/v1/quality/evaluations/{id}",
            "One quality evaluation.",
            true,
        )
        .query(|core, _, i: QualityEvaluationIdInput| async move {
            core.quality_evaluation(i).await
        }),
    ]
}
