//! The scheduler: which Goals get a worker now. One pass per wake-up (a change, a worker's end,
//! the poll interval) over every app: resume Goals left in plan..governance, then admit eligible
//! todo Goals while `admission` says there is room.

use crate::events::kind;
use crate::{clock, new_id, Core};
use refine_model::agents::{AgentProfile, DetectionState, WorkerInfo};
use refine_model::workflow::WorkflowState;
use refine_model::{ApiError, App, Settings};
use refine_store::agents as table;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;

/// Workers running now: in all, in the app at hand, on the provider at hand.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Running {
    pub total: u32,
    pub in_app: u32,
    pub of_provider: u32,
}

/// The capacity limits that apply (settings `runner.*`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub global: u32,
    pub per_app: u32,
    pub per_provider: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    Start,
    GlobalFull,
    AppFull,
    ProviderFull,
    /// The machine's free CPU and memory admit no more (never the first worker).
    NoResources,
}

/// Whether one more worker may start, given what runs, the limits, and how many more Goals the
/// free CPU and memory admit. Always at least one worker when nothing runs.
pub(crate) fn admission(running: Running, limits: Limits, free: u32) -> Admission {
    if running.total >= limits.global {
        Admission::GlobalFull
    } else if running.in_app >= limits.per_app {
        Admission::AppFull
    } else if running.of_provider >= limits.per_provider {
        Admission::ProviderFull
    } else if running.total > 0 && free == 0 {
        Admission::NoResources
    } else {
        Admission::Start
    }
}

/// How long the scheduler lets changes gather after it is woken before it makes its pass.
const WAKE_COALESCE: Duration = Duration::from_millis(5);

impl Core {
    /// Start the scheduler once (the daemon calls this when it listens).
    pub fn start_runner(&self) {
        if self.runner().started.swap(true, Ordering::SeqCst) {
            return;
        }
        // Agent runs of a dead daemon are settled (their processes already were).
        let _ = self.0.store.write(|tx| {
            for mut run in table::running_runs(tx)? {
                run.status = "lost".into();
                run.error = Some("the daemon stopped while it ran".into());
                run.ended_at = Some(clock::now());
                table::update_run(tx, &run)?;
            }
            Ok::<_, refine_store::StoreError>(())
        });
        // Prompt files and evaluation checkouts of a dead daemon.
        let _ = std::fs::remove_dir_all(self.0.data_dir.join("runs"));
        let _ = std::fs::remove_dir_all(self.0.data_dir.join("evaluations"));
        let core = self.clone();
        tokio::spawn(async move { core.schedule_loop().await });
        // Only the events that can change what may start wake the scheduler; the bus asks as
        // it publishes, so the busy streams do not wake this task at all.
        let mut rx = self.bus().subscribe_filtered(
            64,
            Box::new(|e| {
                let k = e.kind.as_str();
                // A Goal created in backlog cannot start; one created in todo can.
                (k == "goals.created" && e.data["status"] == "todo")
                    || matches!(
                        k,
                        "goals.bulk_updated"
                            | "features.updated"
                            | "features.deleted"
                            | "import.committed"
                    )
                    || k.starts_with("workflow.")
                    || k.starts_with("settings.")
                    || k.starts_with("agents.profile")
                    || (k.starts_with("runner.") && k != "runner.worker" && k != "runner.round")
                    || k.starts_with("apps.")
            }),
        );
        let core = self.clone();
        tokio::spawn(async move {
            let mut shutdown = core.shutdown_signal();
            loop {
                tokio::select! {
                    e = rx.recv() => match e {
                        Some(_) => core.wake_runner(),
                        None => break,
                    },
                    _ = shutdown.changed() => break,
                }
            }
        });
    }

    pub(crate) async fn schedule_loop(&self) {
        let mut shutdown = self.shutdown_signal();
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.schedule_once().await {
                tracing::warn!(error = %e.message, "scheduler pass failed");
            }
            let poll = self
                .effective_settings(None)
                .await
                .map(|s| s.runner.poll_seconds)
                .unwrap_or(5);
            tokio::select! {
                _ = self.runner().wake.notified() => {
                    // A burst of changes (a bulk edit, an import, many creates) makes one pass,
                    // not one per change.
                    tokio::time::sleep(WAKE_COALESCE).await;
                }
                _ = tokio::time::sleep(Duration::from_secs(poll as u64)) => {}
                _ = shutdown.changed() => break,
            }
        }
        // Shutdown: stop the agents; Goals stay where they are and resume on the next start.
        let procs: Vec<String> = self
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .filter_map(|s| {
                s.stop.store(true, Ordering::SeqCst);
                s.info.process_id.clone()
            })
            .collect();
        for p in procs {
            let _ = self.stop_process_quiet(&p).await;
        }
    }

    pub(crate) fn runner_paused(&self) -> Result<Option<String>, ApiError> {
        self.0
            .store
            .read(|c| refine_store::meta::get(c, PAUSE_KEY))
            .map_err(ApiError::from)
    }

    pub(crate) async fn detection_state(&self, p: &AgentProfile) -> (DetectionState, String) {
        let d = self.detection_of(p, DETECT_TTL).await;
        (d.state, d.diagnosis)
    }

    /// One scheduler pass over every app.
    pub(crate) async fn schedule_once(&self) -> Result<(), ApiError> {
        if self.runner_paused()?.is_some() {
            return Ok(());
        }
        let global = self.effective_settings(None).await?;
        let apps = self.apps_list().await?;
        // Free CPU and memory, counted down as this pass admits Goals (the load average lags).
        let mut free = resource_slots().0;
        let now = Instant::now();
        self.runner()
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, until| *until > now);
        // Goals that could go ahead but did not get a worker in this pass.
        let mut waiting = 0u32;
        // A draining node finishes what it runs and starts nothing new.
        let draining = {
            let core = self.clone();
            self.blocking(move |_| Ok(core.draining())).await?
        };
        for app in apps {
            let settings = self.effective_settings(Some(app.id.clone())).await?;
            let app_id = app.id.clone();
            let node = self.node_id().to_string();
            let (paused, eligible, active, pinned) = self
                .blocking(move |core| {
                    let paused = core
                        .0
                        .store
                        .read(|c| {
                            refine_store::meta::get(c, &format!("automation_paused:{app_id}"))
                        })?
                        .is_some();
                    let (facts, eligible) = core.facts_and_verdicts(&app_id)?;
                    // Goals pinned to another node are that node's to start.
                    let pinned = core.0.store.read(|c| core.pinned_elsewhere(c, &app_id))?;
                    // Goals being worked on, and whether one waits in review.
                    let in_review = facts
                        .iter()
                        .any(|g| g.node_id == node && g.status == WorkflowState::Review);
                    let running = facts
                        .iter()
                        .filter(|g| g.node_id == node && g.status.is_running())
                        .map(|g| (g.id.clone(), g.priority))
                        .collect::<Vec<_>>();
                    Ok((paused, eligible, (running, in_review), pinned))
                })
                .await?;
            if paused {
                continue;
            }
            let (mut active, in_review) = active;
            active.sort_by_key(|g| std::cmp::Reverse(g.1));
            let profile = match self.profile(&settings.agents.default_profile).await {
                Ok(p) => p,
                Err(e) => {
                    self.set_waiting(&app.id, Some(e.message));
                    continue;
                }
            };
            // Goals a node that went down was working (cluster): taken over, unless draining.
            let orphans = if draining {
                Vec::new()
            } else {
                self.orphans(&app.id).await
            };
            let queued: std::collections::HashSet<&str> = eligible
                .eligible
                .iter()
                .map(|g| g.goal_id.as_str())
                .collect();
            let mut candidates: Vec<String> = active
                .iter()
                .map(|(id, _)| id.clone())
                .chain(orphans)
                .chain(
                    eligible
                        .eligible
                        .iter()
                        .filter(|g| !draining && !pinned.contains(&g.goal_id))
                        .map(|g| g.goal_id.clone()),
                )
                .collect();
            if settings.worktree.mode == refine_model::settings::WorktreeMode::Checkout {
                // "No worktree" mode: one Goal at a time in the app's checkout, and the next only
                // once the one in review is decided.
                candidates.truncate(if active.is_empty() && in_review { 0 } else { 1 });
            }
            if candidates.is_empty() {
                self.set_waiting(&app.id, None);
                continue;
            }
            if let Some(h) = self.provider_hold(&profile.name) {
                self.set_waiting(&app.id, Some(h.reason));
                waiting += candidates.len() as u32;
                continue;
            }
            let (state, why) = self.detection_state(&profile).await;
            if state != DetectionState::Installed {
                waiting += candidates.len() as u32;
                self.set_waiting(
                    &app.id,
                    Some(format!("agent profile {}: {why}", profile.name)),
                );
                continue;
            }
            self.set_waiting(&app.id, None);
            let mut left = candidates.len() as u32;
            for goal_id in candidates {
                // In a cluster, a Goal of a shared app is worked by the node holding its lease.
                let running_here = self
                    .runner()
                    .slots
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .contains_key(&goal_id);
                // No lease is taken for a Goal this node has no room for.
                if !running_here && !self.has_room(&global, &settings, &app, &profile, free) {
                    break;
                }
                // A queued Goal another node is better placed to start is left to it a moment.
                if !running_here
                    && queued.contains(goal_id.as_str())
                    && self.defer_to_peer(&goal_id, &app.id).await
                {
                    left -= 1;
                    continue;
                }
                if !running_here && !self.take_goal(&goal_id, &app.id).await {
                    left -= 1;
                    continue;
                }
                if !self.admit(&global, &settings, &app, &profile, &goal_id, &mut free) {
                    if !running_here {
                        self.release(&goal_id).await;
                    }
                    break;
                }
                left -= 1;
            }
            waiting += left;
        }
        let running = self
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len() as u32;
        self.metrics().set_queue(waiting, running);
        Ok(())
    }

    pub(crate) fn set_waiting(&self, app: &str, why: Option<String>) {
        let mut w = self
            .runner()
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match why {
            Some(w2) => {
                w.insert(app.to_string(), w2);
            }
            None => {
                w.remove(app);
            }
        }
    }

    /// Whether one more Goal of `app` would be admitted now (nothing is started).
    pub(crate) fn has_room(
        &self,
        global: &Settings,
        settings: &Settings,
        app: &App,
        profile: &AgentProfile,
        free: u32,
    ) -> bool {
        let slots = self
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        room(&slots, global, settings, app, profile, free)
    }

    /// Start a worker for the Goal if capacity allows; false when the app is full.
    pub(crate) fn admit(
        &self,
        global: &Settings,
        settings: &Settings,
        app: &App,
        profile: &AgentProfile,
        goal_id: &str,
        free: &mut u32,
    ) -> bool {
        if self
            .runner()
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(goal_id)
        {
            return true;
        }
        let mut slots = self
            .runner()
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if slots.contains_key(goal_id) {
            return true;
        }
        if !room(&slots, global, settings, app, profile, *free) {
            return false;
        }
        *free = free.saturating_sub(1);
        let stop = Arc::new(AtomicBool::new(false));
        slots.insert(
            goal_id.to_string(),
            Slot {
                info: WorkerInfo {
                    id: new_id(),
                    app_id: app.id.clone(),
                    goal_id: goal_id.to_string(),
                    goal_number: 0,
                    goal_title: String::new(),
                    round: 0,
                    phase: "starting".into(),
                    profile: profile.name.clone(),
                    process_id: None,
                    started_at: clock::now(),
                },
                provider: profile.provider,
                stop: stop.clone(),
                weight: 1,
            },
        );
        drop(slots);
        let core = self.clone();
        let app = app.clone();
        let profile = profile.clone();
        let goal_id = goal_id.to_string();
        tokio::spawn(async move {
            let _guard = SlotGuard {
                core: core.clone(),
                goal_id: goal_id.clone(),
                app_id: app.id.clone(),
            };
            let result = core.work_goal(&app, &profile, &goal_id, &stop).await;
            if let Err(e) = result {
                tracing::warn!(goal = %goal_id, error = %e.message, "runner worker ended with an error");
            }
        });
        true
    }

    pub(crate) fn update_slot(&self, goal_id: &str, f: impl FnOnce(&mut WorkerInfo)) {
        let info = {
            let mut slots = self
                .runner()
                .slots
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let Some(s) = slots.get_mut(goal_id) else {
                return;
            };
            f(&mut s.info);
            s.info.clone()
        };
        self.bus()
            .publish(kind::RUNNER_WORKER, Some(info.app_id.clone()), &info);
        self.announce_now();
    }
}

/// Whether the limits (global, per app, per provider) and the machine's free slots let one
/// more Goal of `app` start beside the running `slots`.
fn room(
    slots: &HashMap<String, Slot>,
    global: &Settings,
    settings: &Settings,
    app: &App,
    profile: &AgentProfile,
    free: u32,
) -> bool {
    let weight = |f: &dyn Fn(&Slot) -> bool| -> u32 {
        slots
            .values()
            .filter(|s| f(s))
            .map(|s| s.weight.max(1))
            .sum()
    };
    let running = Running {
        total: weight(&|_| true),
        in_app: weight(&|s| s.info.app_id == app.id),
        of_provider: weight(&|s| s.provider == profile.provider),
    };
    let limits = Limits {
        global: global.runner.max_concurrent_goals,
        per_app: settings
            .runner
            .max_per_app
            .min(settings.runner.max_concurrent_goals),
        per_provider: settings.runner.max_per_provider,
    };
    admission(running, limits, free) == Admission::Start
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        global: 4,
        per_app: 2,
        per_provider: 3,
    };

    fn running(total: u32, in_app: u32, of_provider: u32) -> Running {
        Running {
            total,
            in_app,
            of_provider,
        }
    }

    #[test]
    fn admission_respects_every_limit_and_always_allows_one() {
        assert_eq!(
            admission(running(0, 0, 0), LIMITS, 0),
            Admission::Start,
            "one even on a busy machine"
        );
        assert_eq!(admission(running(1, 1, 1), LIMITS, 1), Admission::Start);
        assert_eq!(
            admission(running(1, 1, 1), LIMITS, 0),
            Admission::NoResources
        );
        assert_eq!(admission(running(2, 2, 2), LIMITS, 5), Admission::AppFull);
        assert_eq!(
            admission(running(3, 1, 3), LIMITS, 5),
            Admission::ProviderFull
        );
        assert_eq!(
            admission(running(4, 0, 0), LIMITS, 5),
            Admission::GlobalFull
        );
        let none = Limits {
            global: 0,
            ..LIMITS
        };
        assert_eq!(
            admission(running(0, 0, 0), none, 5),
            Admission::GlobalFull,
            "a limit of 0 stops the runner"
        );
    }
}
