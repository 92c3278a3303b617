//! Transcripts and usage as people read them: one run's transcript page by page (and live,
//! through `agents.transcript` events), and tokens and cost per run, Round, Goal, app, day and
//! provider.

use std::collections::BTreeMap;

use refine_model::transcript::{TranscriptEntry, Usage};
use refine_model::ApiError;
use refine_store::agents as table;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use refine_store::StoreError;

use crate::{Core, Ctx};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TranscriptInput {
    pub run_id: String,
    /// Entries after this one (the `nextSeq` of the page before; none: from the start).
    #[serde(default)]
    pub after_seq: Option<u32>,
    /// At most this many (default 500, at most 2,000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A page of one run's transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptPage {
    pub run_id: String,
    pub entries: Vec<TranscriptEntry>,
    /// Ask again with `afterSeq` = this for more (none: this was the end so far).
    pub next_seq: Option<u32>,
    /// The run is still going (more will come; follow the `agents.transcript` events).
    pub running: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageInput {
    /// One app (default: every app).
    #[serde(default)]
    pub app_id: Option<String>,
    /// One Goal (`12`, `#12` or its id): its Rounds and runs.
    #[serde(default)]
    pub goal_id: Option<String>,
    /// Days back, today included (default 14, at most 366).
    #[serde(default)]
    pub days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageDay {
    pub day: String,
    pub usage: Usage,
    pub runs: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderUsage {
    pub provider: String,
    pub usage: Usage,
    pub runs: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoundUsage {
    pub round: u32,
    pub usage: Usage,
    pub runs: u32,
}

/// Tokens and cost: in all, per day (every day of the window, zeros included), per provider,
/// and per Round when a Goal was named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    pub total: Usage,
    pub runs: u32,
    pub days: Vec<UsageDay>,
    pub providers: Vec<ProviderUsage>,
    pub rounds: Vec<RoundUsage>,
}

impl Core {
    /// `agents.transcript`: a page of one run's transcript.
    pub async fn agents_transcript(&self, i: TranscriptInput) -> Result<TranscriptPage, ApiError> {
        let limit = i.limit.unwrap_or(500).clamp(1, 2000);
        let id = i.run_id.clone();
        let run = self
            .read(move |c| table::get_run(c, &id))
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no agent run {}", i.run_id)))?;
        let id = i.run_id.clone();
        let after = i.after_seq;
        let entries = self
            .read(move |c| table::transcript(c, &id, after, limit))
            .await?;
        let next_seq = (entries.len() as u32 == limit)
            .then(|| entries.last().map(|e| e.seq))
            .flatten();
        Ok(TranscriptPage {
            run_id: i.run_id,
            next_seq,
            running: run.status == "running",
            entries,
        })
    }

    /// `agents.usage`: tokens and cost of an app's (or every app's, or one Goal's) agent runs.
    pub async fn agents_usage(&self, ctx: &Ctx, i: UsageInput) -> Result<UsageReport, ApiError> {
        let days = i.days.unwrap_or(14).clamp(1, 366);
        let goal = match &i.goal_id {
            Some(g) => Some(self.get_goal_any(g).await?),
            None => None,
        };
        let app = match (&i.app_id, &goal) {
            (_, Some(g)) => Some(g.app_id.clone()),
            (Some(a), None) => Some(self.resolve_app(ctx, Some(a)).await?.id),
            (None, None) => None,
        };
        let day_list = crate::dashboard::days_back(days as i64);
        let since = format!("{}T00:00:00.000Z", day_list[0]);
        let goal_id = goal.as_ref().map(|g| g.id.clone());
        let (rows, runs) = self
            .read(move |c| {
                let rows = table::daily_usage(c, app.as_deref(), &since)?;
                let runs = match &goal_id {
                    Some(g) => table::runs_of_goal(c, g)?,
                    None => Vec::new(),
                };
                Ok::<_, StoreError>((rows, runs))
            })
            .await?;
        let mut total = Usage::default();
        let mut n = 0;
        let mut by_day: BTreeMap<String, (Usage, u32)> = day_list
            .iter()
            .map(|d| (d.clone(), (Usage::default(), 0)))
            .collect();
        let mut by_provider: BTreeMap<String, (Usage, u32)> = BTreeMap::new();
        let rows: Vec<_> = if goal.is_some() {
            // One Goal: its own runs, whatever their day.
            runs.iter()
                .map(|r| {
                    (
                        r.started_at.get(..10).unwrap_or("").to_string(),
                        r.provider
                            .map(|p| p.as_str().to_string())
                            .unwrap_or_else(|| r.profile.clone()),
                        r.usage,
                        1,
                    )
                })
                .collect()
        } else {
            rows
        };
        for (day, provider, u, count) in rows {
            total.add(&u);
            n += count;
            if let Some(d) = by_day.get_mut(&day) {
                d.0.add(&u);
                d.1 += count;
            }
            let p = by_provider.entry(provider).or_default();
            p.0.add(&u);
            p.1 += count;
        }
        let mut rounds: BTreeMap<u32, (Usage, u32)> = BTreeMap::new();
        for r in &runs {
            let e = rounds.entry(r.round.unwrap_or(1)).or_default();
            e.0.add(&r.usage);
            e.1 += 1;
        }
        Ok(UsageReport {
            total,
            runs: n,
            days: by_day
                .into_iter()
                .map(|(day, (usage, runs))| UsageDay { day, usage, runs })
                .collect(),
            providers: by_provider
                .into_iter()
                .map(|(provider, (usage, runs))| ProviderUsage {
                    provider,
                    usage,
                    runs,
                })
                .collect(),
            rounds: rounds
                .into_iter()
                .map(|(round, (usage, runs))| RoundUsage { round, usage, runs })
                .collect(),
        })
    }
}
