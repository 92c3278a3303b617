//! dashboard: one call that summarises an app's work.

use refine_model::work::FeatureStatus;
use refine_model::workflow::WorkflowState;
use refine_model::{Activity, ApiError};
use refine_store::rusqlite::params;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::workflow::AppScopeInput;
use crate::{Core, Ctx};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StateCount {
    pub state: WorkflowState,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeatureProgress {
    pub id: String,
    pub name: String,
    pub status: FeatureStatus,
    pub done: u32,
    pub total: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AttentionKind {
    Failed,
    Review,
    Blocked,
}

/// Something a person should look at (at most 50 of each kind; `counts` has the totals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttentionItem {
    pub kind: AttentionKind,
    pub goal_id: String,
    pub number: u32,
    pub title: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayCount {
    /// `YYYY-MM-DD` (UTC)
    pub day: String,
    pub done: u32,
}

/// An app's work at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub app_id: String,
    /// Every state, in workflow order.
    pub counts: Vec<StateCount>,
    pub total: u32,
    /// Goals in plan..governance.
    pub running: u32,
    pub features: Vec<FeatureProgress>,
    pub attention: Vec<AttentionItem>,
    /// Goals done per day, the last 14 days, oldest first.
    pub throughput: Vec<DayCount>,
    /// Median hours from start (plan) — or creation, for work never planned — to done, over the
    /// last 90 days.
    pub median_cycle_hours: Option<f64>,
    pub automation_paused: bool,
    pub recent: Vec<Activity>,
    /// Agent tokens and cost of the app, the last 14 days (per day and per provider).
    pub usage: crate::agents::usage::UsageReport,
}

pub(crate) fn days_back(n: i64) -> Vec<String> {
    let today = time::OffsetDateTime::now_utc().date();
    (0..n)
        .rev()
        .map(|d| {
            let day = today - time::Duration::days(d);
            format!(
                "{:04}-{:02}-{:02}",
                day.year(),
                day.month() as u8,
                day.day()
            )
        })
        .collect()
}

fn hours_between(a: &str, b: &str) -> Option<f64> {
    let fmt = time::format_description::well_known::Rfc3339;
    let a = time::OffsetDateTime::parse(a, &fmt).ok()?;
    let b = time::OffsetDateTime::parse(b, &fmt).ok()?;
    Some((b - a).as_seconds_f64() / 3600.0)
}

impl Core {
    /// `dashboard.summary`
    pub async fn dashboard_summary(
        &self,
        ctx: &Ctx,
        input: AppScopeInput,
    ) -> Result<Dashboard, ApiError> {
        let app = self.work_app(ctx, input.app_id.as_deref()).await?;
        let elig = self.eligibility_now(&app, 50).await?;
        let app2 = app.clone();
        let days = days_back(14);
        let since = format!("{}T00:00:00.000Z", days[0]);
        let cycle_since = crate::clock::hours_ago(24 * 90);
        let (counts, features, attention_rows, throughput, cycles, recent) = self
            .read(move |c| {
                let counts = refine_store::goals::count_by_status(c, &app2)?;
                let features = refine_store::features::progress(c, &app2)?;
                let mut stmt = c.prepare(
                    "SELECT * FROM (SELECT id, number, title, status, updated_at FROM goals
                       WHERE app_id = ?1 AND deleted_at IS NULL AND status = 'failed' ORDER BY updated_at LIMIT 50)
                     UNION ALL
                     SELECT * FROM (SELECT id, number, title, status, updated_at FROM goals
                       WHERE app_id = ?1 AND deleted_at IS NULL AND status = 'review' ORDER BY updated_at LIMIT 50)",
                )?;
                let attention_rows = stmt
                    .query_map([&app2], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut stmt = c.prepare(
                    "SELECT substr(at, 1, 10), COUNT(DISTINCT goal_id) FROM goal_transitions
                     WHERE app_id = ?1 AND to_status = 'done' AND at >= ?2 GROUP BY 1",
                )?;
                let throughput = stmt
                    .query_map(params![&app2, since], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                // Start: first entry into plan; else creation. End: latest entry into done.
                let mut stmt = c.prepare(
                    "SELECT COALESCE((SELECT MIN(t2.at) FROM goal_transitions t2 WHERE t2.goal_id = t.goal_id AND t2.to_status = 'plan'),
                                     (SELECT g.created_at FROM goals g WHERE g.id = t.goal_id)), MAX(t.at)
                     FROM goal_transitions t JOIN goals g ON g.id = t.goal_id
                     WHERE t.app_id = ?1 AND t.to_status = 'done' AND t.at >= ?2 AND t.from_status IS NOT NULL
                       AND g.status = 'done' AND g.deleted_at IS NULL
                     GROUP BY t.goal_id",
                )?;
                let cycles = stmt
                    .query_map(params![&app2, cycle_since], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                let recent = refine_store::activity::list(
                    c,
                    &refine_store::activity::ActivityFilter { app_id: Some(&app2), limit: 10, ..Default::default() },
                )?;
                Ok((counts, features, attention_rows, throughput, cycles, recent))
            })
            .await?;
        let count_of = |s: WorkflowState| {
            counts
                .iter()
                .find(|(x, _)| *x == s)
                .map(|(_, n)| *n)
                .unwrap_or(0)
        };
        let mut attention: Vec<AttentionItem> = attention_rows
            .into_iter()
            .map(|(id, number, title, status, _)| {
                let failed = status == "failed";
                AttentionItem {
                    kind: if failed {
                        AttentionKind::Failed
                    } else {
                        AttentionKind::Review
                    },
                    goal_id: id,
                    number,
                    title,
                    reason: if failed {
                        "failed: retry or cancel it".into()
                    } else {
                        "waiting for your review".into()
                    },
                }
            })
            .collect();
        attention.extend(elig.blocked.into_iter().take(50).map(|b| AttentionItem {
            kind: AttentionKind::Blocked,
            goal_id: b.goal_id,
            number: b.number,
            title: b.title,
            reason: b.reason,
        }));
        let mut hours: Vec<f64> = cycles
            .iter()
            .filter_map(|(a, b)| hours_between(a, b))
            .filter(|h| *h >= 0.0)
            .collect();
        hours.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let median = match hours.len() {
            0 => None,
            n if n % 2 == 1 => Some(hours[n / 2]),
            n => Some((hours[n / 2 - 1] + hours[n / 2]) / 2.0),
        };
        let usage = self
            .agents_usage(
                ctx,
                crate::agents::usage::UsageInput {
                    app_id: Some(app.clone()),
                    goal_id: None,
                    days: Some(14),
                },
            )
            .await?;
        Ok(Dashboard {
            usage,
            app_id: app,
            counts: WorkflowState::ALL
                .iter()
                .map(|s| StateCount {
                    state: *s,
                    count: count_of(*s),
                })
                .collect(),
            total: counts.iter().map(|(_, n)| n).sum(),
            running: WorkflowState::ALL
                .iter()
                .filter(|s| s.is_running())
                .map(|s| count_of(*s))
                .sum(),
            features: features
                .into_iter()
                .map(|(id, name, status, done, total)| FeatureProgress {
                    id,
                    name,
                    status,
                    done,
                    total,
                })
                .collect(),
            attention,
            throughput: days
                .into_iter()
                .map(|d| DayCount {
                    done: throughput
                        .iter()
                        .find(|(x, _)| *x == d)
                        .map(|(_, n)| *n)
                        .unwrap_or(0),
                    day: d,
                })
                .collect(),
            median_cycle_hours: median.map(|h| (h * 10.0).round() / 10.0),
            automation_paused: elig.paused,
            recent: recent.into_iter().map(|(_, a)| a).collect(),
        })
    }
}
