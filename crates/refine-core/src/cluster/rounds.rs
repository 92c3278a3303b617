//! Round evidence on the bus: what a node recorded while it worked a Round of a shared Goal
//! (the plan, the Round's recorded work — base, branch, candidate, check results, verdict —
//! and its agent runs with the tail of each transcript), one document per Round under
//! `r.<app key>.<goal id>.<round>` in the `refine-work` bucket.
//!
//! Only the node working a Goal (its `node_id`) publishes its Rounds; every other node applies
//! what it hears into its projection, so any node's UI, CLI and HTTP show the same evidence, and
//! a node taking a Goal over (its node went down) resumes from it like the single-node runner
//! resumes after a crash. Nothing node-local travels: worktree paths and process ids are left
//! out (the taker maps the Round onto a worktree of its own), and a document is bounded to fit
//! the bucket's value size (transcripts are cut to a tail, long texts shortened).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use refine_model::agents::{AgentRun, RoundWork};
use refine_model::event::RoundChanged;
use refine_model::transcript::{TranscriptEntry, TranscriptItem};
use refine_model::ApiError;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::{MAX_MESSAGE, STATE_VERSION};
use crate::events::kind;
use crate::Core;

/// Transcript entries kept per run (the newest).
const TRANSCRIPT_TAIL: u32 = 32;
/// A transcript entry bigger than this is left out of the tail.
const ENTRY_MAX: usize = 4 * 1024;
/// The most a Round's document may weigh (the bucket refuses values over `MAX_MESSAGE`).
pub(crate) const ROUND_BUDGET: usize = MAX_MESSAGE - 1024;
/// Documents heard before their Goal or Round (or while this node still works the Goal) are kept
/// for when it arrives, up to this many.
const PENDING_MAX: usize = 2000;

/// One agent run of the Round and the newest entries of its transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RunDoc {
    pub run: AgentRun,
    pub transcript: Vec<TranscriptEntry>,
    /// How many entries the run's transcript has in all (the tail may hold fewer).
    pub transcript_total: u32,
}

/// A Round of a Goal on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RoundDoc {
    pub state_version: u32,
    pub app_key: String,
    /// The node that wrote this copy (the one working the Goal).
    pub origin: String,
    pub goal_id: String,
    pub round: u32,
    pub plan: Option<String>,
    pub work: RoundWork,
    pub runs: Vec<RunDoc>,
    /// Something was cut to fit (transcripts, long texts).
    pub trimmed: bool,
}

/// What the Round sharing remembers.
#[derive(Default)]
pub(crate) struct RoundState {
    /// Rounds changed here since they were last published: (Goal id, Round).
    dirty: Mutex<HashSet<(String, u32)>>,
    /// Bus key → digest of the copy last seen there (own or heard).
    digests: Mutex<HashMap<String, [u8; 32]>>,
    /// Goal id → documents heard too early: bus key → (raw, revision).
    pending: Mutex<HashMap<String, HashMap<String, Vec<u8>>>>,
    /// Look over every Round this node works at the next pass (after a (re)connect).
    sweep: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn digest(raw: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(raw).into()
}

/// Shorten `s` to at most `max` bytes (on a character boundary), marking the cut.
fn cut(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let mut at = max.saturating_sub(3);
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    s.truncate(at);
    s.push('…');
    true
}

/// Leave out what only means something on the node that wrote it.
pub(crate) fn strip_local(work: &mut RoundWork) {
    work.worktree = None;
    for c in &mut work.candidates {
        c.worktree.clear();
        for q in &mut c.quality {
            q.process_id = None;
        }
        for e in &mut c.environment {
            e.process_id = None;
        }
    }
    for q in &mut work.quality {
        q.process_id = None;
    }
    for e in &mut work.environment {
        e.process_id = None;
    }
}

/// Leave a node's paths out of a transcript entry: the session's directory goes, and a file
/// changed in the worktree is named relative to it.
fn local_paths_out(item: &mut TranscriptItem, worktree: Option<&str>) {
    match item {
        TranscriptItem::SessionStarted { cwd, .. } => *cwd = None,
        TranscriptItem::FileChange { path, .. } => {
            if let Some(rel) = worktree
                .and_then(|w| path.strip_prefix(w))
                .map(|r| r.trim_start_matches('/').to_string())
            {
                *path = rel;
            }
        }
        _ => {}
    }
}

impl RoundDoc {
    /// Cut long texts of the document to `max` bytes each; whether anything was cut.
    fn cut_texts(&mut self, max: usize) -> bool {
        let mut any = false;
        if let Some(p) = self.plan.as_mut() {
            any |= cut(p, max.max(2048));
        }
        let w = &mut self.work;
        let checks = w
            .quality
            .iter_mut()
            .chain(w.candidates.iter_mut().flat_map(|c| c.quality.iter_mut()));
        for q in checks {
            any |= cut(&mut q.log_excerpt, max);
        }
        let steps = w.environment.iter_mut().chain(
            w.candidates
                .iter_mut()
                .flat_map(|c| c.environment.iter_mut()),
        );
        for e in steps {
            any |= cut(&mut e.log_excerpt, max);
        }
        for g in &mut w.guidance {
            any |= cut(&mut g.body, max);
        }
        for f in &mut w.follow_ups {
            any |= cut(&mut f.message, max);
        }
        if let Some(v) = w.governance.as_mut() {
            any |= cut(&mut v.findings, max);
        }
        for r in &mut self.runs {
            if let Some(e) = r.run.error.as_mut() {
                any |= cut(e, max);
            }
            let big = r
                .run
                .result
                .as_ref()
                .is_some_and(|v| v.to_string().len() > max);
            if big {
                r.run.result = None;
                any = true;
            }
        }
        any
    }

    /// Make the document fit `budget` bytes: transcripts down to shorter tails, then long texts
    /// shortened. Its JSON, or why it cannot fit.
    pub(crate) fn fit(&mut self, budget: usize) -> Result<Vec<u8>, String> {
        let mut tail = TRANSCRIPT_TAIL as usize;
        let mut texts = [4096usize, 1024, 256].into_iter();
        loop {
            let raw = serde_json::to_vec(self).map_err(|e| e.to_string())?;
            if raw.len() <= budget {
                return Ok(raw);
            }
            self.trimmed = true;
            if self.runs.iter().any(|r| !r.transcript.is_empty()) {
                tail /= 2;
                for r in &mut self.runs {
                    let n = r.transcript.len();
                    r.transcript.drain(..n.saturating_sub(tail));
                }
                continue;
            }
            match texts.next() {
                Some(max) => {
                    self.cut_texts(max);
                }
                None => {
                    return Err(format!(
                        "round {} of Goal {}: {} bytes even cut down, more than the {budget} a document may have",
                        self.round,
                        self.goal_id,
                        raw.len()
                    ))
                }
            }
        }
    }

    /// Check a document heard under `key` (`r.<app key>.<goal id>.<round>`).
    pub(crate) fn check(&self, key: &str, app: &str, rest: &str) -> Result<(), String> {
        let (goal, round) = rest
            .rsplit_once('.')
            .ok_or_else(|| format!("{key}: not a work key"))?;
        if self.app_key != app || self.goal_id != goal || round != self.round.to_string() {
            return Err(format!("{key}: holds another Round"));
        }
        crate::apps::validate_id("goal", goal).map_err(|e| format!("{key}: {}", e.message))?;
        if self.work.worktree.is_some() {
            return Err(format!("{key}: carries a node's worktree path"));
        }
        for r in &self.runs {
            crate::apps::validate_id("run", &r.run.id)
                .map_err(|e| format!("{key}: {}", e.message))?;
            if r.run.goal_id.as_deref() != Some(goal) || r.run.round != Some(self.round) {
                return Err(format!("{key}: run {} is of another Round", r.run.id));
            }
            if r.transcript.iter().any(|e| e.run_id != r.run.id) {
                return Err(format!(
                    "{key}: run {} carries another run's transcript",
                    r.run.id
                ));
            }
        }
        Ok(())
    }
}

/// Whether a heard document was applied.
enum Applied {
    Yes,
    /// Its Goal or Round is not here yet, or this node works the Goal: kept for later.
    NotYet,
}

impl Core {
    fn rounds_state(&self) -> &RoundState {
        &self.cluster().shared.rounds
    }

    /// A Round's evidence changed here: publish it at the next pass (in a cluster).
    pub(crate) fn round_changed(&self, goal_id: &str, round: u32) {
        if self.link().bus.is_none() {
            return;
        }
        lock(&self.rounds_state().dirty).insert((goal_id.to_string(), round));
        self.cluster().shared.wake.notify_one();
    }

    /// Look over every Round this node works at the next pass (after a (re)connect).
    pub(crate) fn sweep_rounds(&self) {
        lock(&self.rounds_state().digests).clear();
        self.rounds_state()
            .sweep
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// The document of a Round as this node has it (`None`: no such Round).
    async fn round_doc(
        &self,
        app_key: &str,
        goal_id: &str,
        round: u32,
    ) -> Result<Option<RoundDoc>, ApiError> {
        let (g, me, key) = (
            goal_id.to_string(),
            self.node_id().to_string(),
            app_key.to_string(),
        );
        self.read(move |c| {
            let Some(goal) = refine_store::goals::get(c, &g)? else {
                return Ok(None);
            };
            let Some(r) = goal.rounds.iter().find(|r| r.number == round) else {
                return Ok(None);
            };
            let mut work = refine_store::agents::round_work(c, &g, round)?;
            let tree = work.worktree.clone();
            strip_local(&mut work);
            let mut runs = Vec::new();
            for mut run in refine_store::agents::runs_of_round(c, &g, round)? {
                run.process_id = None;
                let (mut transcript, total) =
                    refine_store::agents::transcript_tail(c, &run.id, TRANSCRIPT_TAIL)?;
                transcript
                    .retain(|e| serde_json::to_string(&e.item).is_ok_and(|s| s.len() <= ENTRY_MAX));
                for e in &mut transcript {
                    local_paths_out(&mut e.item, tree.as_deref());
                }
                runs.push(RunDoc {
                    run,
                    transcript,
                    transcript_total: total,
                });
            }
            Ok(Some(RoundDoc {
                state_version: STATE_VERSION,
                app_key: key,
                origin: me,
                goal_id: g.clone(),
                round,
                plan: r.plan.clone(),
                work,
                runs,
                trimmed: false,
            }))
        })
        .await
    }

    /// Publish the Rounds changed here (and those of `goals`, whose documents just went out)
    /// of the Goals this node works. `keys`: app id → its key. A Round refused (another node
    /// wrote it first) or not sent stays to be tried again.
    pub(crate) async fn publish_rounds(
        &self,
        bus: &super::bus::Bus,
        keys: &HashMap<String, String>,
        goals: Vec<String>,
    ) -> Result<usize, String> {
        let state = self.rounds_state();
        let mut todo: HashSet<(String, u32)> = std::mem::take(&mut *lock(&state.dirty));
        if state.sweep.swap(false, std::sync::atomic::Ordering::SeqCst) {
            let me = self.node_id().to_string();
            match self
                .read(move |c| refine_store::nodes::owned_rounds(c, &me))
                .await
            {
                Ok(all) => todo.extend(all),
                Err(e) => {
                    state.sweep.store(true, std::sync::atomic::Ordering::SeqCst);
                    tracing::debug!(error = %e.message, "listing the Rounds to publish");
                }
            }
        }
        for g in goals {
            let id = g.clone();
            let numbers = self
                .read(move |c| {
                    Ok(refine_store::goals::get(c, &id)?
                        .map(|g| g.rounds.iter().map(|r| r.number).collect::<Vec<_>>())
                        .unwrap_or_default())
                })
                .await
                .unwrap_or_default();
            todo.extend(numbers.into_iter().map(|n| (g.clone(), n)));
        }
        let mut sent = 0;
        let mut failed = None;
        for (goal_id, round) in todo {
            match self.publish_round(bus, keys, &goal_id, round).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(e) => {
                    lock(&state.dirty).insert((goal_id, round));
                    failed = Some(e);
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(sent),
        }
    }

    /// Publish one Round if this node works its Goal and the bus has another copy. `Err` when
    /// it should be tried again.
    async fn publish_round(
        &self,
        bus: &super::bus::Bus,
        keys: &HashMap<String, String>,
        goal_id: &str,
        round: u32,
    ) -> Result<bool, String> {
        let Ok(goal) = self.get_goal_any(goal_id).await else {
            return Ok(false);
        };
        if goal.node_id != self.node_id() {
            return Ok(false); // the node working it publishes it
        }
        let Some(key) = keys.get(&goal.app_id) else {
            return Ok(false); // not a shared app
        };
        let Some(mut doc) = self
            .round_doc(key, goal_id, round)
            .await
            .map_err(|e| e.message)?
        else {
            return Ok(false);
        };
        let raw = match doc.fit(ROUND_BUDGET) {
            Ok(raw) => raw,
            Err(why) => {
                tracing::warn!(reason = %why, "not publishing a Round's evidence");
                return Ok(false);
            }
        };
        let bus_key = format!("r.{key}.{goal_id}.{round}");
        let d = digest(&raw);
        if lock(&self.rounds_state().digests).get(&bus_key) == Some(&d) {
            return Ok(false); // the bus has this very copy
        }
        let seen = lock(&self.cluster().shared.seen).get(&bus_key).cloned();
        let Some(rev) = bus.put_work_raw(&bus_key, raw, seen.map(|s| s.1)).await? else {
            return Err(format!("{bus_key}: another node wrote it first"));
        };
        lock(&self.cluster().shared.seen).insert(bus_key.clone(), (String::new(), rev));
        lock(&self.rounds_state().digests).insert(bus_key, d);
        Ok(true)
    }

    /// A Round's document heard on the bus (already parsed and checked); `local_app` is this
    /// node's app of that key.
    pub(crate) async fn heard_round(&self, key: &str, raw: &[u8], doc: RoundDoc, local_app: &str) {
        lock(&self.rounds_state().digests).insert(key.to_string(), digest(raw));
        if doc.origin == self.node_id() {
            return; // this node's own write coming back
        }
        let goal_id = doc.goal_id.clone();
        match self.apply_round(local_app, doc).await {
            Ok(Applied::Yes) => {
                if let Some(p) = lock(&self.rounds_state().pending).get_mut(&goal_id) {
                    p.remove(key);
                }
            }
            Ok(Applied::NotYet) => {
                let mut pending = lock(&self.rounds_state().pending);
                if pending.values().map(HashMap::len).sum::<usize>() >= PENDING_MAX {
                    tracing::warn!(
                        key,
                        "too many Round documents wait for their Goal; dropping one"
                    );
                    return;
                }
                pending
                    .entry(goal_id)
                    .or_default()
                    .insert(key.to_string(), raw.to_vec());
            }
            Err(e) => self.reject(format!("{key}: {}", e.message)),
        }
    }

    /// The Round documents that waited for Goal `goal_id` (it was just heard): applied now.
    pub(crate) async fn retry_pending_rounds(&self, goal_id: &str, local_app: &str) {
        let waiting = lock(&self.rounds_state().pending).remove(goal_id);
        for (key, raw) in waiting.into_iter().flatten() {
            match super::share::parse_work(&key, &raw) {
                Ok(super::share::WorkDoc::Round(doc)) => {
                    self.heard_round(&key, &raw, *doc, local_app).await
                }
                Ok(_) => {}
                Err(why) => self.reject(why),
            }
        }
    }

    /// Take another node's copy of a Round into this node's projection: the plan, the recorded
    /// work and the runs (with their transcript tails). Only from the node working the Goal, and
    /// never over a Goal this node works.
    async fn apply_round(&self, app_id: &str, doc: RoundDoc) -> Result<Applied, ApiError> {
        let me = self.node_id().to_string();
        let app = app_id.to_string();
        let mut work = doc.work;
        strip_local(&mut work);
        let work_json =
            serde_json::to_string(&work).map_err(|e| ApiError::internal(e.to_string()))?;
        let (goal_id, round, origin, plan, runs) =
            (doc.goal_id, doc.round, doc.origin, doc.plan, doc.runs);
        let g2 = goal_id.clone();
        let applied = self
            .blocking(move |core| {
                core.0
                    .store
                    .write(|tx| {
                        let Some(goal) = refine_store::goals::get(tx, &g2)? else {
                            return Ok(false);
                        };
                        if goal.app_id != app || goal.node_id == me || goal.node_id != origin {
                            return Ok(false);
                        }
                        if !refine_store::nodes::set_round_evidence(
                            tx,
                            &g2,
                            round,
                            plan.as_deref(),
                            &work_json,
                        )? {
                            return Ok(false);
                        }
                        for r in runs {
                            let mut run = r.run;
                            run.app_id = app.clone();
                            run.process_id = None;
                            refine_store::agents::upsert_run(tx, &run)?;
                            refine_store::agents::insert_transcript(tx, &r.transcript)?;
                        }
                        Ok::<_, refine_store::StoreError>(true)
                    })
                    .map_err(ApiError::from)
            })
            .await?;
        if !applied {
            return Ok(Applied::NotYet);
        }
        self.bus().publish(
            kind::RUNNER_ROUND,
            Some(app_id.to_string()),
            &RoundChanged {
                goal_id,
                round,
                work,
            },
        );
        Ok(Applied::Yes)
    }
}

impl Core {
    /// Take over a Round another node worked (its evidence came over the bus, without its
    /// paths): the Round goes on in `path` here, from the candidate only if the remote has that
    /// very commit (else from implement again, its checks and verdict being of a commit this
    /// node cannot see); what was prepared in that node's worktree (environment, merge) is done
    /// again here, and its runs left running are settled as lost, as after a crash.
    pub(crate) async fn adopt_round(
        &self,
        app: &refine_model::App,
        goal: &refine_model::work::Goal,
        round: u32,
        work: RoundWork,
        path: std::path::PathBuf,
        in_checkout: bool,
    ) -> Result<RoundWork, ApiError> {
        let repo = std::path::PathBuf::from(&app.path);
        let (base, branch) = (
            work.base_commit.clone().unwrap_or_default(),
            work.branch.clone().unwrap_or_default(),
        );
        let tip = if in_checkout {
            None
        } else {
            self.fetch_candidate(app, &branch, &base)
                .await
                .map(|(_, tip)| tip)
        };
        // The base must be here too (the remote's target branch has it, if nothing else).
        let (r2, b2) = (repo.clone(), base.clone());
        let have_base = self
            .blocking(move |_| {
                let have = |r: &std::path::Path| refine_host::changes::resolve(r, &b2).is_ok();
                if !have(&r2) {
                    let _ = crate::publish::git(&r2, &["fetch", "--quiet", "origin"]);
                }
                Ok(have(&r2))
            })
            .await?;
        if !have_base {
            return Err(ApiError::precondition(format!(
                "Goal #{}: round {round} was started elsewhere on commit {base}, which neither this clone nor its origin has",
                goal.number
            )));
        }
        let keep = match (&work.candidate_commit, &tip) {
            (Some(c), Some(t)) => c == t,
            (Some(_), None) => false,
            (None, _) => true,
        };
        let at = path.to_string_lossy().to_string();
        let adopted = self
            .record_work(&goal.id, round, move |w| {
                w.worktree = Some(at);
                w.in_checkout = in_checkout;
                w.environment.clear();
                w.integration = None;
                if !keep {
                    w.candidate_commit = None;
                    w.quality.clear();
                    w.governance = None;
                } else if w.candidate_commit.is_none() {
                    w.candidate_commit = tip;
                }
            })
            .await?;
        let id = goal.id.clone();
        self.blocking(move |core| {
            core.0
                .store
                .write(|tx| {
                    for mut run in refine_store::agents::runs_of_round(tx, &id, round)? {
                        if run.status == "running" {
                            run.status = "lost".into();
                            run.error = Some(
                                "its node went down while it ran; another node took the Goal over"
                                    .into(),
                            );
                            run.ended_at = Some(crate::clock::now());
                            refine_store::agents::update_run(tx, &run)?;
                        }
                    }
                    Ok::<_, refine_store::StoreError>(())
                })
                .map_err(ApiError::from)
        })
        .await?;
        tracing::info!(goal = %goal.id, round, candidate = keep && adopted.candidate_commit.is_some(), "took over a Round another node worked");
        Ok(adopted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use refine_model::agents::QualityCheck;

    const GOAL: &str = "7f0c2a4e-5b1d-4c3e-9a8b-0d1e2f3a4b5c";
    const RUN: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    fn run(id: &str) -> AgentRun {
        serde_json::from_value(serde_json::json!({
            "id": id, "appId": "app", "goalId": GOAL, "round": 1, "phase": "implement",
            "attempt": 0, "profile": "scripted", "processId": "p1", "status": "done",
            "result": {"summary": "x".repeat(20_000)}, "error": null,
            "startedAt": "2026-01-01T00:00:00Z", "endedAt": "2026-01-01T00:00:01Z",
            "provider": null, "sessionId": null, "model": null,
            "usage": {"inputTokens": 0, "outputTokens": 0, "cachedTokens": 0, "costUsd": null},
            "turns": null, "resumed": false, "denials": 0, "kind": "run", "candidate": null
        }))
        .unwrap()
    }

    fn doc() -> RoundDoc {
        let mut work = RoundWork {
            base_commit: Some("abc".into()),
            branch: Some("refine/1/round-1".into()),
            worktree: Some("/home/someone/.local/share/refine/worktrees/x/1-r1".into()),
            ..Default::default()
        };
        work.quality.push(QualityCheck {
            test: "t".into(),
            command: "true".into(),
            exit_code: Some(0),
            passed: true,
            duration_ms: 1,
            log_excerpt: "é".repeat(30_000),
            process_id: Some("p2".into()),
        });
        strip_local(&mut work);
        let transcript = (0..32)
            .map(|seq| TranscriptEntry {
                run_id: RUN.into(),
                seq,
                at: "2026-01-01T00:00:00Z".into(),
                item: TranscriptItem::Text {
                    text: "y".repeat(3000),
                },
            })
            .collect();
        RoundDoc {
            state_version: STATE_VERSION,
            app_key: "k".into(),
            origin: "n".into(),
            goal_id: GOAL.into(),
            round: 1,
            plan: Some("p".repeat(50_000)),
            work,
            runs: vec![RunDoc {
                run: run(RUN),
                transcript,
                transcript_total: 40,
            }],
            trimmed: false,
        }
    }

    #[test]
    fn a_big_round_is_cut_to_fit_the_bucket_keeping_the_newest_transcript() {
        let mut d = doc();
        assert!(serde_json::to_vec(&d).unwrap().len() > ROUND_BUDGET);
        let raw = d.fit(ROUND_BUDGET).unwrap();
        assert!(raw.len() <= ROUND_BUDGET, "{}", raw.len());
        assert!(d.trimmed);
        assert!(d.work.worktree.is_none(), "no node-local path travels");
        assert!(d.work.quality[0].process_id.is_none());
        let back: RoundDoc = serde_json::from_slice(&raw).unwrap();
        assert_eq!(back, d);
        // The transcript kept is its newest entries, in order.
        let seqs: Vec<u32> = d.runs[0].transcript.iter().map(|e| e.seq).collect();
        if let Some(first) = seqs.first() {
            assert_eq!(*seqs.last().unwrap(), 31);
            assert_eq!(seqs, (*first..32).collect::<Vec<_>>());
        }
        // A small one goes as it is.
        let mut small = doc();
        small.plan = Some("short".into());
        small.work.quality.clear();
        small.runs[0].transcript.truncate(2);
        small.runs[0].run.result = None;
        small.fit(ROUND_BUDGET).unwrap();
        assert!(!small.trimmed);
        assert_eq!(small.runs[0].transcript.len(), 2);
    }

    #[test]
    fn a_round_document_is_checked_against_its_key() {
        let mut d = doc();
        d.fit(ROUND_BUDGET).unwrap();
        assert!(d.check("r.k.x.1", "k", &format!("{GOAL}.1")).is_ok());
        assert!(d.check("r.k.x.2", "k", &format!("{GOAL}.2")).is_err());
        assert!(d.check("r.j.x.1", "j", &format!("{GOAL}.1")).is_err());
        let mut path = d.clone();
        path.work.worktree = Some("/tmp/x".into());
        let e = path
            .check("r.k.x.1", "k", &format!("{GOAL}.1"))
            .unwrap_err();
        assert!(e.contains("worktree path"), "{e}");
        let mut other = d.clone();
        other.runs[0].run.round = Some(2);
        assert!(other.check("r.k.x.1", "k", &format!("{GOAL}.1")).is_err());
        let mut bad = d.clone();
        bad.runs[0].run.id = "not-a-uuid".into();
        assert!(bad.check("r.k.x.1", "k", &format!("{GOAL}.1")).is_err());
        // Off the bus: the key is checked, a newer state version and junk are refused.
        use super::super::share::{parse_work, WorkDoc};
        let key = format!("r.k.{GOAL}.1");
        let raw = serde_json::to_vec(&d).unwrap();
        assert!(matches!(parse_work(&key, &raw), Ok(WorkDoc::Round(_))));
        assert!(parse_work(&format!("r.k.{GOAL}.2"), &raw).is_err());
        let mut newer = serde_json::to_value(&d).unwrap();
        newer["stateVersion"] = serde_json::json!(STATE_VERSION + 1);
        let e = parse_work(&key, newer.to_string().as_bytes())
            .err()
            .unwrap();
        assert!(e.contains("upgrade this node"), "{e}");
        let mut extra = serde_json::to_value(&d).unwrap();
        extra["surprise"] = serde_json::json!(1);
        assert!(parse_work(&key, extra.to_string().as_bytes()).is_err());
        assert!(parse_work(&key, b"{not json").is_err());
        assert!(parse_work(&key, &vec![b' '; MAX_MESSAGE * 4 + 1]).is_err());
    }
}
