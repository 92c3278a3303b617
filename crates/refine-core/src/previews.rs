//! previews: a Goal in review runs its app from the candidate's worktree — the app's start
//! command, supervised, on a free loopback port given as `PORT` (and `REFINE_PREVIEW_URL`) —
//! health-checked on that port, linked from the Goal page. A preview stops by itself when its
//! Goal leaves review; at most [`MAX_PREVIEWS`] run at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use refine_model::process::{Preview, ProcessOwner};
use refine_model::workflow::WorkflowState;
use refine_model::ApiError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::events::kind;
use crate::{clock, Change, Core, Ctx, Mutated};

/// Previews running at once, over every app.
pub const MAX_PREVIEWS: usize = 4;
/// How long a preview has to answer on its port.
const HEALTHY_WITHIN: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviewGoalInput {
    /// The Goal (`#12` or its id).
    pub goal_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListPreviewsInput {}

fn free_port() -> Result<u16, ApiError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| ApiError::internal(format!("no free port: {e}")))?;
    Ok(l.local_addr()
        .map_err(|e| ApiError::internal(e.to_string()))?
        .port())
}

impl Core {
    fn previews(&self) -> std::sync::MutexGuard<'_, HashMap<String, Preview>> {
        self.0.previews.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_preview(&self, p: Preview) {
        self.previews().insert(p.goal_id.clone(), p.clone());
        self.bus()
            .publish(kind::PREVIEW_CHANGED, Some(p.app_id.clone()), &p);
    }

    /// `previews.list`: the previews running or starting, oldest first.
    pub async fn previews_list(&self, _: ListPreviewsInput) -> Result<Vec<Preview>, ApiError> {
        let mut v: Vec<Preview> = self.previews().values().cloned().collect();
        v.sort_by(|a, b| a.started_at.cmp(&b.started_at));
        Ok(v)
    }

    /// `previews.start`: run the Goal's candidate (answered at once, `starting`; the status
    /// turns `healthy` when the app answers on its port).
    pub async fn previews_start(
        &self,
        ctx: &Ctx,
        i: PreviewGoalInput,
    ) -> Result<Mutated<Preview>, ApiError> {
        let started = self.start_preview(ctx, &i.goal_id);
        self.mutate(ctx, &i, started, |_tx, p: Preview| {
            let change = Change::new(format!("Previewing #{} at {}", p.goal_number, p.url))
                .app(Some(p.app_id.clone()))
                .target(p.goal_id.clone())
                .event(kind::PREVIEW_CHANGED, &p);
            Ok((p, change))
        })
        .await
    }

    async fn start_preview(&self, ctx: &Ctx, goal_ref: &str) -> Result<Preview, ApiError> {
        // One start at a time: the checks and the insert below see each other's previews.
        let _one = self.0.preview_lock.lock().await;
        let goal = self
            .goals_get(
                ctx,
                crate::work::GoalIdInput {
                    id: goal_ref.to_string(),
                },
            )
            .await?;
        if goal.status != WorkflowState::Review {
            return Err(ApiError::conflict(format!(
                "Goal #{} is in {}; a preview runs the candidate of a Goal in review",
                goal.number,
                goal.status.as_str()
            )));
        }
        if let Some(p) = self
            .previews()
            .get(&goal.id)
            .filter(|p| p.status != "stopped")
        {
            return Ok(p.clone());
        }
        if self
            .previews()
            .values()
            .filter(|p| p.status != "stopped")
            .count()
            >= MAX_PREVIEWS
        {
            return Err(ApiError::conflict(format!(
                "{MAX_PREVIEWS} previews run already; stop one first (previews.stop)"
            )));
        }
        let round = goal.rounds.iter().map(|r| r.number).max().unwrap_or(1);
        let id = goal.id.clone();
        let work = self
            .read(move |c| refine_store::agents::round_work(c, &id, round))
            .await?;
        if !work.candidates.is_empty() && work.picked.is_none() {
            return Err(crate::bestof::pick_first(&goal, work.candidates.len()));
        }
        let Some(worktree) = work.worktree.map(PathBuf::from).filter(|p| p.is_dir()) else {
            return Err(ApiError::conflict(format!(
                "Goal #{} has no worktree to preview",
                goal.number
            )));
        };
        let (app, lifecycle, _, _) = self.lifecycle(ctx, Some(&goal.app_id)).await?;
        let Some(argv) = lifecycle.start.filter(|a| !a.is_empty()) else {
            return Err(ApiError::precondition(
                "the app has no start command; set one (target.configure) to preview candidates",
            ));
        };
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}/");
        let env = HashMap::from([
            ("PORT".to_string(), port.to_string()),
            ("REFINE_PREVIEW_URL".to_string(), url.clone()),
        ]);
        let (info, done) = self
            .start_owned_process(
                &app.id,
                crate::processes::StartProcessInput {
                    app_id: Some(app.id.clone()),
                    argv,
                    cwd: None,
                    env: Some(env),
                    label: Some(format!("preview #{} r{round}", goal.number)),
                    owner: Some(ProcessOwner {
                        goal_id: Some(goal.id.clone()),
                        round: Some(round),
                        operation_id: None,
                    }),
                },
                worktree,
                None,
            )
            .await?;
        let p = Preview {
            goal_id: goal.id.clone(),
            goal_number: goal.number,
            app_id: app.id.clone(),
            round,
            url,
            port,
            process_id: info.id.clone(),
            status: "starting".into(),
            reason: None,
            started_at: clock::now(),
        };
        self.previews().insert(p.goal_id.clone(), p.clone());
        let core = self.clone();
        let watched = p.clone();
        tokio::spawn(async move { core.watch_preview(watched, done).await });
        Ok(p)
    }

    /// `previews.stop`
    pub async fn previews_stop(
        &self,
        ctx: &Ctx,
        i: PreviewGoalInput,
    ) -> Result<Mutated<Preview>, ApiError> {
        let goal = self
            .goals_get(
                ctx,
                crate::work::GoalIdInput {
                    id: i.goal_id.clone(),
                },
            )
            .await?;
        let Some(p) = self.previews().get(&goal.id).cloned() else {
            return Err(ApiError::not_found(format!(
                "Goal #{} has no preview",
                goal.number
            )));
        };
        let stopped = async move { Ok(self.end_preview(p, "stopped by a person").await) };
        self.mutate(ctx, &i, stopped, |_tx, p: Preview| {
            let change = Change::new(format!("Stopped the preview of #{}", p.goal_number))
                .app(Some(p.app_id.clone()))
                .target(p.goal_id.clone())
                .event(kind::PREVIEW_CHANGED, &p);
            Ok((p, change))
        })
        .await
    }

    /// Stops a preview's process and forgets it; answers it as stopped.
    async fn end_preview(&self, mut p: Preview, why: &str) -> Preview {
        let _ = self.stop_process_quiet(&p.process_id).await;
        self.previews().remove(&p.goal_id);
        p.status = "stopped".into();
        p.reason = Some(why.to_string());
        p
    }

    async fn stop_preview(&self, p: Preview, why: &str) {
        let p = self.end_preview(p, why).await;
        self.bus()
            .publish(kind::PREVIEW_CHANGED, Some(p.app_id.clone()), &p);
    }

    /// Health-checks a preview, then follows it: it stops when its Goal leaves review, and is
    /// forgotten when its process ends.
    async fn watch_preview(&self, mut p: Preview, mut done: tokio::sync::watch::Receiver<bool>) {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build();
        let started = Instant::now();
        let mut checked = false;
        loop {
            if *done.borrow() {
                let fin = self
                    .processes_get(crate::processes::ProcessIdInput {
                        id: p.process_id.clone(),
                    })
                    .await
                    .ok();
                if self
                    .previews()
                    .get(&p.goal_id)
                    .is_some_and(|x| x.process_id == p.process_id)
                {
                    self.previews().remove(&p.goal_id);
                    p.status = "stopped".into();
                    p.reason = Some(match fin.and_then(|f| f.exit_code) {
                        Some(c) => format!("the app exited with code {c}"),
                        None => "the app ended".into(),
                    });
                    self.bus()
                        .publish(kind::PREVIEW_CHANGED, Some(p.app_id.clone()), &p);
                }
                return;
            }
            let id = p.goal_id.clone();
            let status = self
                .read(move |c| refine_store::goals::get(c, &id))
                .await
                .ok()
                .flatten()
                .map(|g| g.status);
            if status != Some(WorkflowState::Review) {
                self.stop_preview(p, "its Goal left review").await;
                return;
            }
            if !checked {
                let answered = match &http {
                    Ok(h) => h
                        .get(&p.url)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().as_u16() < 500),
                    Err(_) => false,
                };
                if answered {
                    checked = true;
                    p.status = "healthy".into();
                    self.set_preview(p.clone());
                } else if started.elapsed() > HEALTHY_WITHIN {
                    checked = true;
                    p.status = "unhealthy".into();
                    p.reason = Some(format!(
                        "nothing answered on port {} within {} s",
                        p.port,
                        HEALTHY_WITHIN.as_secs()
                    ));
                    self.set_preview(p.clone());
                }
            }
            let wait = if checked {
                Duration::from_secs(1)
            } else {
                Duration::from_millis(250)
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = done.changed() => {}
            }
        }
    }
}
