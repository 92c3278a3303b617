//! Round evidence on the bus: what a node recorded while it worked a Round of a shared Goal
//! (the plan, the Round's recorded work — base, branch, candidate, check results, verdict —
//! and its agent runs with the tail of each transcript), one document per Round under
//! `r.<app key>.<goal id>.<round>` in the `refine-work` bucket.
//!
//! Only the node working a Goal (its `node_id`) publishes its Rounds, and while the Goal runs
//! only when it holds the Goal's lease (renewed right before the write): a node that lost the
//! lease publishes nothing more for it. Each document carries the lease revision it was written
//! under as a fencing token; a node refuses a document whose token is older than one it has
//! already seen for the Goal, and applies a key's documents only in revision order. Every other
//! node applies what it hears into its projection, so any node's UI, CLI and HTTP show the same
//! evidence, and a node taking a Goal over (its node went down) resumes from it like the
//! single-node runner resumes after a crash. Nothing node-local travels: worktree paths and
//! process ids are left out (the taker maps the Round onto a worktree of its own), and a
//! document is bounded to fit the bucket's value size (transcripts are cut to a tail, long texts
//! shortened). What comes off the bus is checked like any input (branch names, commit ids, the
//! runs it names) and refused, never applied, when it does not hold up.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use refine_model::agents::{AgentRun, EnvStep, RoundWork};
use refine_model::event::RoundChanged;
use refine_model::transcript::{TranscriptEntry, TranscriptItem};
use refine_model::work::Goal;
use refine_model::ApiError;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::{lock, MAX_MESSAGE, STATE_VERSION};
use crate::events::kind;
use crate::Core;

/// Transcript entries kept per run (the newest).
const TRANSCRIPT_TAIL: u32 = 32;
/// A transcript entry bigger than this is left out of the tail.
const ENTRY_MAX: usize = 4 * 1024;
/// The most a Round's document may weigh (the bucket refuses values over `MAX_MESSAGE`).
pub(crate) const ROUND_BUDGET: usize = MAX_MESSAGE - 1024;
/// Goals remembered as having Round documents that waited for them (only their ids).
const WAITING_MAX: usize = 10_000;

/// One agent run of the Round and the newest entries of its transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RunDoc {
    pub run: AgentRun,
    pub transcript: Vec<TranscriptEntry>,
}

/// A Round of a Goal on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RoundDoc {
    pub state_version: u32,
    pub app_key: String,
    /// The node that wrote this copy (the one working the Goal).
    pub origin: String,
    /// Fencing token: the revision of the Goal's lease the writer held (while the Goal ran;
    /// afterwards the highest it had seen). Documents with an older one than seen are refused.
    pub lease: u64,
    pub goal_id: String,
    pub round: u32,
    /// Never cut: left out (`None`, the Goal document's copy stays) when it does not fit.
    pub plan: Option<String>,
    pub work: RoundWork,
    pub runs: Vec<RunDoc>,
}

/// What the Round sharing remembers.
#[derive(Default)]
pub(crate) struct RoundState {
    /// Rounds changed here since they were last published: (Goal id, Round).
    dirty: Mutex<HashSet<(String, u32)>>,
    /// Bus key → digest of the content (without its token) last seen there (own or heard).
    digests: Mutex<HashMap<String, [u8; 32]>>,
    /// Bus key → revision of the document last applied here: only newer ones are.
    applied: Mutex<HashMap<String, u64>>,
    /// Goal id → the highest fencing token seen on its Round documents (own or heard).
    tokens: Mutex<HashMap<String, u64>>,
    /// Goals with Round documents heard before the Goal (or its owner) was: their documents
    /// are read again off the bus when the Goal's document comes. Only ids: no bodies wait.
    waiting: Mutex<HashSet<String>>,
    /// One document applied at a time (the watch and a lease's check both hear documents).
    applying: tokio::sync::Mutex<()>,
    /// Look over every Round this node works at the next pass (after a (re)connect).
    sweep: AtomicBool,
}

/// The digest of a document's content, whatever its token.
fn content_digest(doc: &RoundDoc) -> [u8; 32] {
    let mut d = doc.clone();
    d.lease = 0;
    sha2::Sha256::digest(serde_json::to_vec(&d).unwrap_or_default()).into()
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

/// Whether `p` is an absolute path (of any platform).
fn absolute(p: &str) -> bool {
    p.starts_with('/') || p.starts_with('\\') || p.as_bytes().get(1) == Some(&b':')
}

/// `path` relative to the first of `trees` it lies in (whole components only); a path outside
/// them all keeps only its file name.
fn relative_to(path: &str, trees: &[String]) -> String {
    for t in trees {
        if let Ok(rel) = Path::new(path).strip_prefix(t) {
            return rel.to_string_lossy().to_string();
        }
    }
    if absolute(path) {
        return Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
    }
    path.to_string()
}

/// Steps that name a path (the others name a command).
fn names_path(e: &EnvStep) -> bool {
    matches!(e.kind.as_str(), "copy" | "link" | "remove")
}

/// The worktrees a Round's work names (its own and its candidates').
fn worktrees_of(work: &RoundWork) -> Vec<String> {
    work.worktree
        .iter()
        .cloned()
        .chain(work.candidates.iter().map(|c| c.worktree.clone()))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Leave out what only means something on the node that wrote it: worktree paths (a path
/// step names is made relative to its worktree) and process ids.
pub(crate) fn strip_local(work: &mut RoundWork) {
    let trees = worktrees_of(work);
    let paths_out = |e: &mut EnvStep| {
        e.process_id = None;
        if names_path(e) && absolute(&e.what) {
            e.what = relative_to(&e.what, &trees);
            if e.what.is_empty() {
                e.what = "the worktree".into();
            }
        }
    };
    work.worktree = None;
    for c in &mut work.candidates {
        c.worktree.clear();
        for q in &mut c.quality {
            q.process_id = None;
        }
        c.environment.iter_mut().for_each(paths_out);
    }
    for q in &mut work.quality {
        q.process_id = None;
    }
    work.environment.iter_mut().for_each(paths_out);
}

/// Leave a node's paths out of a transcript entry: the session's directory goes, and a file
/// changed in a worktree is named relative to it (outside them all, by its name).
fn local_paths_out(item: &mut TranscriptItem, trees: &[String]) {
    match item {
        TranscriptItem::SessionStarted { cwd, .. } => *cwd = None,
        TranscriptItem::FileChange { path, .. } => *path = relative_to(path, trees),
        _ => {}
    }
}

/// Whether `b` is a branch name git takes as it is (`git check-ref-format --branch`, strictly).
pub(crate) fn branch_ok(b: &str) -> bool {
    !b.is_empty()
        && b.len() <= 255
        && b != "@"
        && !b.starts_with(['-', '/'])
        && !b.ends_with(['/', '.'])
        && !b.contains("..")
        && !b.contains("//")
        && !b.contains("@{")
        && !b
            .chars()
            .any(|c| c.is_control() || c == ' ' || "~^:?*[\\".contains(c))
        && !b
            .split('/')
            .any(|p| p.starts_with('.') || p.ends_with(".lock"))
}

/// Whether `c` is a full commit id (SHA-1 or SHA-256, lower-case hex).
pub(crate) fn commit_ok(c: &str) -> bool {
    matches!(c.len(), 40 | 64) && c.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl RoundDoc {
    /// Cut long texts of the document to `max` bytes each (long lists too); whether anything
    /// was cut.
    fn cut_texts(&mut self, max: usize) -> bool {
        let mut any = false;
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
        if let Some(p) = w.publication.as_mut().and_then(|p| p.note.as_mut()) {
            any |= cut(p, max);
        }
        let integrations = w.integration.iter_mut().chain(
            w.candidates
                .iter_mut()
                .flat_map(|c| c.integration.iter_mut()),
        );
        for i in integrations {
            let keep = (max / 64).max(4);
            if i.conflicts.len() > keep {
                let more = i.conflicts.len() - keep;
                i.conflicts.truncate(keep);
                i.conflicts.push(format!("… and {more} more"));
                any = true;
            }
            for c in &mut i.conflicts {
                any |= cut(c, max);
            }
        }
        for c in &mut w.candidates {
            if let Some(f) = c.failure.as_mut() {
                any |= cut(f, max);
            }
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

    /// Make the document fit `budget` bytes, giving up the least first: transcripts down to
    /// shorter tails, long texts shortened, the runs' results, the plan (the Goal document
    /// carries it whole), then the oldest runs. Its JSON, or why it cannot fit.
    pub(crate) fn fit(&mut self, budget: usize) -> Result<Vec<u8>, String> {
        let mut tail = TRANSCRIPT_TAIL as usize;
        let mut texts = [4096usize, 1024, 256].into_iter();
        loop {
            let raw = serde_json::to_vec(self).map_err(|e| e.to_string())?;
            if raw.len() <= budget {
                return Ok(raw);
            }
            if self.runs.iter().any(|r| !r.transcript.is_empty()) {
                tail /= 2;
                for r in &mut self.runs {
                    let n = r.transcript.len();
                    r.transcript.drain(..n.saturating_sub(tail));
                }
                continue;
            }
            if let Some(max) = texts.next() {
                self.cut_texts(max);
                continue;
            }
            if self.runs.iter().any(|r| r.run.result.is_some()) {
                self.runs.iter_mut().for_each(|r| r.run.result = None);
                continue;
            }
            if self.plan.take().is_some() {
                continue;
            }
            if !self.runs.is_empty() {
                self.runs.remove(0);
                continue;
            }
            return Err(format!(
                "round {} of Goal {}: {} bytes even cut down, more than the {budget} a document may have",
                self.round,
                self.goal_id,
                raw.len()
            ));
        }
    }

    /// Check a document heard under `key` (`r.<app key>.<goal id>.<round>`): it is the Round
    /// its key names, carries nothing node-local, and what a taker would hand to git (its
    /// branches, commits) has the shape it must.
    pub(crate) fn check(&self, key: &str, app: &str, rest: &str) -> Result<(), String> {
        let bad = |why: String| Err(format!("{key}: {why}"));
        let (goal, round) = rest
            .rsplit_once('.')
            .ok_or_else(|| format!("{key}: not a work key"))?;
        if self.app_key != app || self.goal_id != goal || round != self.round.to_string() {
            return bad("holds another Round".into());
        }
        crate::apps::validate_id("goal", goal).map_err(|e| format!("{key}: {}", e.message))?;
        let w = &self.work;
        if !worktrees_of(w).is_empty() {
            return bad("carries a node's worktree path".into());
        }
        // A Round's branch, `…/round-<n>`: its own, or an earlier Round's it continues.
        let branch = w.branch.as_deref().unwrap_or_default();
        let of_round = branch
            .rsplit_once("/round-")
            .and_then(|(_, n)| n.parse::<u32>().ok())
            .is_some_and(|n| (1..=self.round).contains(&n));
        if w.branch.is_some() && !(branch_ok(branch) && of_round) {
            return bad(format!("{branch:?} is not a Round's branch"));
        }
        for c in &w.candidates {
            let own = if c.index <= 1 {
                branch.to_string()
            } else {
                format!("{branch}-c{}", c.index)
            };
            if c.branch != own || w.branch.is_none() {
                return bad(format!("candidate {} is on branch {:?}", c.index, c.branch));
            }
        }
        let commits =
            [&w.base_commit, &w.candidate_commit]
                .into_iter()
                .flatten()
                .chain(w.candidates.iter().filter_map(|c| c.commit.as_ref()))
                .chain(w.publication.iter().map(|p| &p.commit))
                .chain(w.integration.iter().flat_map(|i| {
                    std::iter::once(&i.target_commit).chain(i.merge_commit.as_ref())
                }));
        for c in commits {
            if !commit_ok(c) {
                return bad(format!("{c:?} is not a commit id"));
            }
        }
        let steps = w
            .environment
            .iter()
            .chain(w.candidates.iter().flat_map(|c| c.environment.iter()));
        for e in steps {
            if e.process_id.is_some() || (names_path(e) && absolute(&e.what)) {
                return bad("carries a node's path or process".into());
            }
        }
        let checks = w
            .quality
            .iter()
            .chain(w.candidates.iter().flat_map(|c| c.quality.iter()));
        if checks.into_iter().any(|q| q.process_id.is_some()) {
            return bad("carries a node's process".into());
        }
        for r in &self.runs {
            crate::apps::validate_id("run", &r.run.id)
                .map_err(|e| format!("{key}: {}", e.message))?;
            if r.run.goal_id.as_deref() != Some(goal) || r.run.round != Some(self.round) {
                return bad(format!("run {} is of another Round", r.run.id));
            }
            if r.run.process_id.is_some() {
                return bad(format!("run {} carries a node's process", r.run.id));
            }
            for e in &r.transcript {
                if e.run_id != r.run.id {
                    return bad(format!("run {} carries another run's transcript", r.run.id));
                }
                let local = match &e.item {
                    TranscriptItem::SessionStarted { cwd, .. } => cwd.is_some(),
                    TranscriptItem::FileChange { path, .. } => absolute(path),
                    _ => false,
                };
                if local {
                    return bad(format!("run {} carries a node's path", r.run.id));
                }
            }
        }
        Ok(())
    }
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

    /// This node lost a Goal's lease: none of its Rounds' changes are to be published.
    pub(crate) fn forget_round_changes(&self, goal_id: &str) {
        lock(&self.rounds_state().dirty).retain(|(g, _)| g != goal_id);
    }

    /// Look over every Round this node works at the next pass, as the bus may have lost what
    /// it had (after a (re)connect).
    pub(crate) fn sweep_rounds(&self) {
        lock(&self.rounds_state().digests).clear();
        self.sweep_rounds_soon();
    }

    /// The work bucket is watched anew, every key's latest document heard again: what was
    /// learnt of the Round documents (revisions applied, tokens) is learnt again from them, as
    /// the buckets may have been made again and their revisions started over.
    pub(crate) fn forget_heard_rounds(&self) {
        let state = self.rounds_state();
        lock(&state.applied).clear();
        lock(&state.tokens).clear();
    }

    /// Look over every Round this node works at the next pass (changes may have been missed).
    pub(crate) fn sweep_rounds_soon(&self) {
        self.rounds_state().sweep.store(true, Ordering::SeqCst);
    }

    /// The fencing token this node would publish a Round of `goal` under, or `None` when it
    /// must not publish it: the Goal is another node's, or it runs and this node holds no
    /// lease for it (lost, or never taken), or another node has published under a newer lease.
    pub(crate) fn round_token(&self, goal: &Goal) -> Option<u64> {
        if goal.node_id != self.node_id() {
            return None;
        }
        let seen = lock(&self.rounds_state().tokens)
            .get(&goal.id)
            .copied()
            .unwrap_or(0);
        if !goal.status.is_running() {
            return Some(seen);
        }
        let held = lock(&self.cluster().shared.leases).get(&goal.id).copied()?;
        (held >= seen).then_some(held)
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
            let trees = worktrees_of(&work);
            strip_local(&mut work);
            let mut runs = Vec::new();
            for mut run in refine_store::agents::runs_of_round(c, &g, round)? {
                run.process_id = None;
                let (mut transcript, _) =
                    refine_store::agents::transcript_tail(c, &run.id, TRANSCRIPT_TAIL)?;
                transcript
                    .retain(|e| serde_json::to_string(&e.item).is_ok_and(|s| s.len() <= ENTRY_MAX));
                for e in &mut transcript {
                    local_paths_out(&mut e.item, &trees);
                }
                runs.push(RunDoc { run, transcript });
            }
            Ok(Some(RoundDoc {
                state_version: STATE_VERSION,
                app_key: key,
                origin: me,
                lease: 0,
                goal_id: g.clone(),
                round,
                plan: r.plan.clone(),
                work,
                runs,
            }))
        })
        .await
    }

    /// Publish the Rounds changed here (and those of `goals`, whose documents just went out)
    /// of the Goals this node works. `keys`: app id → its key. A Round another node wrote
    /// first, or that could not be sent, stays to be tried again at the next pass; `Err` only
    /// when the bus failed.
    pub(crate) async fn publish_rounds(
        &self,
        bus: &super::bus::Bus,
        keys: &HashMap<String, String>,
        goals: Vec<String>,
    ) -> Result<usize, String> {
        let state = self.rounds_state();
        let mut todo: HashSet<(String, u32)> = std::mem::take(&mut *lock(&state.dirty));
        if state.sweep.swap(false, Ordering::SeqCst) {
            let me = self.node_id().to_string();
            match self
                .read(move |c| refine_store::nodes::owned_rounds(c, &me))
                .await
            {
                Ok(all) => todo.extend(all),
                Err(e) => {
                    state.sweep.store(true, Ordering::SeqCst);
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
                Ok(Some(true)) => sent += 1,
                Ok(Some(false)) => {}
                Ok(None) => {
                    lock(&state.dirty).insert((goal_id, round));
                }
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

    /// Publish one Round if this node may (see `round_token`) and the bus has another copy:
    /// `Some(true)` sent, `Some(false)` nothing to send, `None` another node wrote it first
    /// (tried again once that is heard), `Err` the bus failed.
    async fn publish_round(
        &self,
        bus: &super::bus::Bus,
        keys: &HashMap<String, String>,
        goal_id: &str,
        round: u32,
    ) -> Result<Option<bool>, String> {
        let Ok(goal) = self.get_goal_any(goal_id).await else {
            return Ok(Some(false));
        };
        let Some(key) = keys.get(&goal.app_id) else {
            return Ok(Some(false)); // not a shared app
        };
        if self.round_token(&goal).is_none() {
            return Ok(Some(false)); // another node's, or this node lost its lease
        }
        let Some(mut doc) = self
            .round_doc(key, goal_id, round)
            .await
            .map_err(|e| e.message)?
        else {
            return Ok(Some(false));
        };
        if let Err(why) = doc.fit(ROUND_BUDGET) {
            tracing::warn!(reason = %why, "not publishing a Round's evidence");
            return Ok(Some(false));
        }
        let bus_key = format!("r.{key}.{goal_id}.{round}");
        let d = content_digest(&doc);
        if lock(&self.rounds_state().digests).get(&bus_key) == Some(&d) {
            return Ok(Some(false)); // the bus has this very copy
        }
        // Written over the revision seen before the lease is confirmed: should this node stall
        // after confirming it (suspended), a taker's write since makes this one fail.
        let seen = self.seen(&bus_key);
        // Fenced: while the Goal runs, only under a lease renewed right now.
        if goal.status.is_running() && self.confirm_lease(bus, goal_id).await?.is_none() {
            return Ok(Some(false));
        }
        let Some(token) = self.round_token(&goal) else {
            return Ok(Some(false));
        };
        doc.lease = token;
        let raw = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
        if !self.put_seen(bus, bus_key.clone(), "", raw, seen).await? {
            return Ok(None);
        }
        let mut tokens = lock(&self.rounds_state().tokens);
        let t = tokens.entry(goal_id.to_string()).or_default();
        *t = (*t).max(token);
        lock(&self.rounds_state().digests).insert(bus_key, d);
        Ok(Some(true))
    }

    /// This node's own Round document coming back: its token and content are what the bus has.
    pub(crate) fn heard_own_round(&self, key: &str, doc: &RoundDoc) {
        let mut tokens = lock(&self.rounds_state().tokens);
        let t = tokens.entry(doc.goal_id.clone()).or_default();
        *t = (*t).max(doc.lease);
        lock(&self.rounds_state().digests).insert(key.to_string(), content_digest(doc));
    }

    /// Another node's Round document heard on the bus at `revision` (already parsed and
    /// checked); `local_app` is this node's app of that key. Applied unless a newer one was,
    /// or it was written under an older lease than one already seen for its Goal; kept in mind
    /// (read again off the bus when its Goal's document comes) when its Goal is not here yet
    /// or is this node's.
    pub(crate) async fn heard_round(
        &self,
        key: &str,
        revision: u64,
        doc: RoundDoc,
        local_app: &str,
    ) {
        let state = self.rounds_state();
        let _one = state.applying.lock().await;
        if lock(&state.applied)
            .get(key)
            .is_some_and(|r| *r >= revision)
        {
            return; // this copy, or a newer one, is in already
        }
        let newest = lock(&state.tokens).get(&doc.goal_id).copied().unwrap_or(0);
        if doc.lease < newest {
            return self.reject(format!(
                "{key}: written by {} under lease {}, older than {newest} seen for the Goal: a node that lost the Goal wrote it",
                doc.origin, doc.lease
            ));
        }
        lock(&state.digests).insert(key.to_string(), content_digest(&doc));
        let (goal_id, token) = (doc.goal_id.clone(), doc.lease);
        match self.apply_round(local_app, doc).await {
            Ok(true) => {
                // Only an applied document's token counts (one from a node that does not
                // work the Goal could name any).
                lock(&state.applied).insert(key.to_string(), revision);
                let mut tokens = lock(&state.tokens);
                let t = tokens.entry(goal_id).or_default();
                *t = (*t).max(token);
            }
            Ok(false) => {
                let mut waiting = lock(&state.waiting);
                if waiting.len() >= WAITING_MAX {
                    waiting.clear(); // a Goal heard later brings its Rounds anyway
                }
                waiting.insert(goal_id);
            }
            Err(e) => self.reject(format!("{key}: {}", e.message)),
        }
    }

    /// Goal `goal_id` (of app key `app_key`, here `local_app`) was just heard: the documents
    /// of its Rounds that came before it, read now off the bus.
    pub(crate) async fn heard_goal_rounds(&self, app_key: &str, goal_id: &str, local_app: &str) {
        if !lock(&self.rounds_state().waiting).remove(goal_id) {
            return;
        }
        let Some(bus) = self.link().bus else {
            return;
        };
        let Ok(goal) = self.get_goal_any(goal_id).await else {
            return;
        };
        for r in &goal.rounds {
            let key = format!("r.{app_key}.{goal_id}.{}", r.number);
            match bus.work_entry(&key).await {
                Ok(Some((raw, revision))) => match super::share::parse_work(&key, &raw) {
                    Ok(super::share::WorkDoc::Round(doc)) if doc.origin != self.node_id() => {
                        self.heard_round(&key, revision, *doc, local_app).await
                    }
                    Ok(_) => {}
                    Err(why) => self.reject(why),
                },
                Ok(None) => {}
                Err(e) => {
                    tracing::debug!(key, error = %e, "reading a Round off the bus");
                    lock(&self.rounds_state().waiting).insert(goal_id.to_string());
                }
            }
        }
    }

    /// Take another node's copy of a Round into this node's projection: the plan, the recorded
    /// work and the runs (with their transcript tails). Only from the node working the Goal,
    /// never over a Goal this node works (its `node_id`, a lease or a worker here), and only
    /// runs of that very Round. `Ok(false)`: not now (its Goal or Round is not here yet, or is
    /// this node's); `Err`: refused.
    pub(crate) async fn apply_round(&self, app_id: &str, doc: RoundDoc) -> Result<bool, ApiError> {
        let app = self
            .apps_get(crate::apps::AppIdInput {
                id: app_id.to_string(),
            })
            .await?;
        if doc.work.branch.as_deref() == Some(crate::runner::target_branch(&app).as_str()) {
            return Err(ApiError::invalid("its branch is the app's target branch"));
        }
        let me = self.node_id().to_string();
        let app = app_id.to_string();
        let work = doc.work;
        let work_json =
            serde_json::to_string(&work).map_err(|e| ApiError::internal(e.to_string()))?;
        let (goal_id, round, origin, plan, runs) =
            (doc.goal_id, doc.round, doc.origin, doc.plan, doc.runs);
        let g2 = goal_id.clone();
        let applied = self
            .blocking(move |core| {
                let works_here = |g: &str| {
                    lock(&core.cluster().shared.leases).contains_key(g) || core.slot_running(g)
                };
                core.0
                    .store
                    .write(|tx| {
                        let Some(goal) = refine_store::goals::get(tx, &g2)? else {
                            return Ok(Ok(false));
                        };
                        if goal.app_id != app
                            || goal.node_id == me
                            || goal.node_id != origin
                            || works_here(&g2)
                        {
                            return Ok(Ok(false));
                        }
                        for r in &runs {
                            if let Some(old) = refine_store::agents::get_run(tx, &r.run.id)? {
                                if old.goal_id != r.run.goal_id || old.round != r.run.round {
                                    return Ok(Err(format!(
                                        "run {} is of another Goal or Round here",
                                        r.run.id
                                    )));
                                }
                            }
                        }
                        if !refine_store::nodes::set_round_evidence(
                            tx,
                            &g2,
                            round,
                            plan.as_deref(),
                            &work_json,
                        )? {
                            return Ok(Ok(false));
                        }
                        for r in runs {
                            let mut run = r.run;
                            run.app_id = app.clone();
                            refine_store::agents::upsert_run(tx, &run)?;
                            refine_store::agents::insert_transcript(tx, &r.transcript)?;
                        }
                        Ok::<_, refine_store::StoreError>(Ok(true))
                    })
                    .map_err(ApiError::from)
            })
            .await?
            .map_err(ApiError::invalid)?;
        if applied {
            self.bus().publish(
                kind::RUNNER_ROUND,
                Some(app_id.to_string()),
                &RoundChanged {
                    goal_id,
                    round,
                    work,
                },
            );
        }
        Ok(applied)
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
        // Checked when heard; checked again here, as it goes to git (and is pushed, forced).
        if !commit_ok(&base) || !branch_ok(&branch) || branch == crate::runner::target_branch(app) {
            return Err(ApiError::precondition(format!(
                "Goal #{}: round {round} names base {base:?} and branch {branch:?}, which cannot be taken over",
                goal.number
            )));
        }
        if !in_checkout {
            // A worktree left at this path from when this node worked the Round before (another
            // node took it over since): it holds the branch at a commit of its own, so it goes;
            // the Round is mapped onto a fresh one from what the bus and the remote hold.
            let (r2, p2) = (repo.clone(), path.clone());
            self.blocking(move |_| {
                refine_host::worktree::remove_worktree(&r2, &p2).map_err(|e| {
                    ApiError::precondition(format!(
                        "could not remove the old worktree {}: {e}",
                        p2.display()
                    ))
                })
            })
            .await?;
        }
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
        if !in_checkout && (!keep || tip.is_none()) {
            // Not going on from a candidate on the remote: the branch starts again at the base
            // (a branch left here from before would hold a stale candidate).
            let (r2, b2, base2) = (repo.clone(), branch.clone(), base.clone());
            self.blocking(move |_| {
                crate::publish::git(&r2, &["branch", "--force", "--end-of-options", &b2, &base2])
                    .map(|_| ())
                    .map_err(|e| {
                        ApiError::precondition(format!("could not reset branch {b2}: {e}"))
                    })
            })
            .await?;
        }
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
        self.round_changed(&goal.id, round);
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
    const BASE: &str = "0123456789abcdef0123456789abcdef01234567";
    const APP: &str = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    const TIP: &str = "89abcdef0123456789abcdef0123456789abcdef";

    fn run(id: &str) -> AgentRun {
        serde_json::from_value(serde_json::json!({
            "id": id, "appId": "app", "goalId": GOAL, "round": 1, "phase": "implement",
            "attempt": 0, "profile": "scripted", "processId": null, "status": "done",
            "result": {"summary": "x".repeat(20_000)}, "error": null,
            "startedAt": "2026-01-01T00:00:00Z", "endedAt": "2026-01-01T00:00:01Z",
            "provider": null, "sessionId": null, "model": null,
            "usage": {"inputTokens": 0, "outputTokens": 0, "cachedTokens": 0, "costUsd": null},
            "turns": null, "resumed": false, "denials": 0, "kind": "run", "candidate": null
        }))
        .unwrap()
    }

    fn transcript(n: u32, size: usize) -> Vec<TranscriptEntry> {
        (0..n)
            .map(|seq| TranscriptEntry {
                run_id: RUN.into(),
                seq,
                at: "2026-01-01T00:00:00Z".into(),
                item: TranscriptItem::Text {
                    text: "y".repeat(size),
                },
            })
            .collect()
    }

    fn doc() -> RoundDoc {
        let mut work = RoundWork {
            base_commit: Some(BASE.into()),
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
        RoundDoc {
            state_version: STATE_VERSION,
            app_key: "k".into(),
            origin: "n".into(),
            lease: 1,
            goal_id: GOAL.into(),
            round: 1,
            plan: Some("p".repeat(50_000)),
            work,
            runs: vec![RunDoc {
                run: run(RUN),
                transcript: transcript(32, 3000),
            }],
        }
    }

    #[test]
    fn a_big_round_is_cut_to_fit_the_bucket_keeping_the_newest_transcript() {
        // Only the transcript is too long: it is cut to its newest entries, nothing else.
        let mut d = doc();
        d.plan = Some("short".into());
        d.work.quality.clear();
        d.runs[0].run.result = None;
        let before = d.clone();
        assert!(serde_json::to_vec(&d).unwrap().len() > ROUND_BUDGET);
        let raw = d.fit(ROUND_BUDGET).unwrap();
        assert!(raw.len() <= ROUND_BUDGET, "{}", raw.len());
        let seqs: Vec<u32> = d.runs[0].transcript.iter().map(|e| e.seq).collect();
        assert!(!seqs.is_empty(), "a tail is kept");
        assert_eq!(*seqs.last().unwrap(), 31, "{seqs:?}");
        assert_eq!(seqs, (seqs[0]..32).collect::<Vec<_>>());
        assert_eq!((&d.plan, &d.work), (&before.plan, &before.work));
        let back: RoundDoc = serde_json::from_slice(&raw).unwrap();
        assert_eq!(back, d);
        // A small one goes as it is.
        let mut small = doc();
        small.plan = Some("short".into());
        small.work.quality.clear();
        small.runs[0].transcript.truncate(2);
        small.runs[0].run.result = None;
        let same = small.clone();
        small.fit(ROUND_BUDGET).unwrap();
        assert_eq!(small, same);
    }

    #[test]
    fn the_plan_is_never_cut_and_what_cannot_fit_gives_way() {
        // A long plan and long texts: the texts are shortened, the plan left out whole
        // rather than cut (the Goal document carries it).
        let mut d = doc();
        d.plan = Some("p".repeat(70_000));
        d.fit(ROUND_BUDGET).unwrap();
        assert!(
            d.plan.is_none(),
            "a plan that cannot fit is left out, not cut"
        );
        let mut d = doc();
        d.fit(ROUND_BUDGET).unwrap();
        assert_eq!(d.plan.as_deref().map(str::len), Some(50_000), "kept whole");
        assert!(d.work.quality[0].log_excerpt.ends_with('…'));
        // Many runs: the oldest go; the document still goes out.
        let mut many = doc();
        many.plan = None;
        many.runs = (0..400)
            .map(|i| {
                let mut r = run(&format!("0a1b2c3d-4e5f-4a6b-8c7d-{i:012}"));
                r.error = Some("e".repeat(500));
                RunDoc {
                    run: r,
                    transcript: vec![],
                }
            })
            .collect();
        let last = many.runs.last().unwrap().run.id.clone();
        let raw = many.fit(ROUND_BUDGET).unwrap();
        assert!(raw.len() <= ROUND_BUDGET);
        assert!(many.runs.len() < 400 && !many.runs.is_empty());
        assert_eq!(many.runs.last().unwrap().run.id, last, "the newest stay");
    }

    #[test]
    fn no_node_local_path_travels() {
        let tree = "/data/refine/worktrees/a/1-r1";
        let mut w = RoundWork {
            worktree: Some(tree.into()),
            ..Default::default()
        };
        let removal = EnvStep {
            kind: "remove".into(),
            what: tree.into(),
            exit_code: None,
            passed: true,
            duration_ms: 0,
            log_excerpt: String::new(),
            process_id: Some("p".into()),
        };
        w.environment.push(removal.clone());
        w.candidates.push(refine_model::agents::Candidate {
            index: 2,
            worktree: format!("{tree}-c2"),
            ..Default::default()
        });
        let trees = worktrees_of(&w);
        strip_local(&mut w);
        assert_eq!(w.environment[0].what, "the worktree");
        assert!(w.environment[0].process_id.is_none());
        assert!(worktrees_of(&w).is_empty());
        // A file in a candidate's worktree is named relative to it; a prefix that is not a
        // whole component does not count; a path outside every worktree keeps its name only.
        let item = |p: &str| {
            let mut i = TranscriptItem::FileChange {
                path: p.into(),
                change: "edit".into(),
            };
            local_paths_out(&mut i, &trees);
            match i {
                TranscriptItem::FileChange { path, .. } => path,
                _ => unreachable!(),
            }
        };
        assert_eq!(item(&format!("{tree}-c2/src/a.rs")), "src/a.rs");
        assert_eq!(item(&format!("{tree}/src/b.rs")), "src/b.rs");
        assert_eq!(item("/data/refine/worktrees/a/1-r10/c.rs"), "c.rs");
        assert_eq!(item("/home/me/.bashrc"), ".bashrc");
        // Such a path off the bus is refused.
        let mut d = doc();
        d.runs[0].transcript = vec![];
        d.work.environment.push(EnvStep {
            process_id: None,
            ..removal
        });
        let e = d.check("r", "k", &format!("{GOAL}.1")).unwrap_err();
        assert!(e.contains("path"), "{e}");
    }

    #[test]
    fn a_round_document_is_checked_against_its_key() {
        let mut d = doc();
        d.fit(ROUND_BUDGET).unwrap();
        let rest = format!("{GOAL}.1");
        assert!(d.check("r.k.x.1", "k", &rest).is_ok());
        assert!(d.check("r.k.x.2", "k", &format!("{GOAL}.2")).is_err());
        assert!(d.check("r.j.x.1", "j", &rest).is_err());
        let mut path = d.clone();
        path.work.worktree = Some("/tmp/x".into());
        let e = path.check("r.k.x.1", "k", &rest).unwrap_err();
        assert!(e.contains("worktree path"), "{e}");
        let mut other = d.clone();
        other.runs[0].run.round = Some(2);
        assert!(other.check("r.k.x.1", "k", &rest).is_err());
        let mut bad = d.clone();
        bad.runs[0].run.id = "not-a-uuid".into();
        assert!(bad.check("r.k.x.1", "k", &rest).is_err());
        let mut pid = d.clone();
        pid.runs[0].run.process_id = Some("p".into());
        assert!(pid.check("r.k.x.1", "k", &rest).is_err());
        // What would go to git: a Round's branch, full commit ids.
        for branch in [
            "main",
            "refine/1/round-2",
            "refine/../round-1",
            "-f/round-1",
            "a b/round-1",
            "x/.hidden/round-1",
            "x@{1}/round-1",
        ] {
            let mut b = d.clone();
            b.work.branch = Some(branch.into());
            assert!(b.check("r", "k", &rest).is_err(), "{branch}");
        }
        for commit in ["abc", "HEAD", &BASE.to_uppercase(), "--upload-pack=x"] {
            let mut c = d.clone();
            c.work.candidate_commit = Some(commit.to_string());
            assert!(c.check("r", "k", &rest).is_err(), "{commit}");
        }
        let mut ok = d.clone();
        ok.work.candidate_commit = Some(TIP.into());
        assert!(ok.check("r", "k", &rest).is_ok());
        // A Round that continues an earlier one (changes requested) keeps its branch.
        let mut later = ok.clone();
        later.round = 2;
        later.runs.clear();
        assert!(later.check("r", "k", &format!("{GOAL}.2")).is_ok());
        later.work.branch = Some("refine/1/round-3".into());
        assert!(later.check("r", "k", &format!("{GOAL}.2")).is_err());
        let mut cand = d.clone();
        cand.work.candidates.push(refine_model::agents::Candidate {
            index: 2,
            branch: "main".into(),
            ..Default::default()
        });
        assert!(cand.check("r", "k", &rest).is_err());
        cand.work.candidates[0].branch = "refine/1/round-1-c2".into();
        assert!(cand.check("r", "k", &rest).is_ok());
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
        // Valid JSON just over the size limit is refused for its size.
        let mut big = serde_json::to_vec(&d).unwrap();
        big.pop();
        big.extend(b",\"pad\":\"");
        big.resize(MAX_MESSAGE * 4 - 1, b'z');
        big.extend(b"\"}");
        assert_eq!(big.len(), MAX_MESSAGE * 4 + 1);
        assert!(serde_json::from_slice::<serde_json::Value>(&big).is_ok());
        let e = parse_work(&key, &big).err().unwrap();
        assert!(e.contains("too large"), "{e}");
    }

    /// A node with an app `APP` (target branch `main`) and Goal `GOAL` in implement, worked by
    /// `owner`, with Round 1.
    async fn node(owner: &str) -> (Core, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let (core, _) = Core::open(crate::CoreConfig::new(dir.path())).unwrap();
        let owner = if owner == "me" {
            core.node_id().to_string()
        } else {
            owner.to_string()
        };
        core.0
            .store
            .write(|c| {
                refine_store::apps::insert(
                    c,
                    &refine_model::App {
                        id: APP.into(),
                        name: "a".into(),
                        path: "/nonexistent/a".into(),
                        default_branch: Some("main".into()),
                        shape: Default::default(),
                        created_at: "t".into(),
                        updated_at: "t".into(),
                        active: false,
                    },
                )?;
                c.execute_batch(&format!(
                    "INSERT INTO goals(id, app_id, number, title, status, node_id, created_at, updated_at)
                       VALUES ('{GOAL}', '{APP}', 1, 'G', 'implement', '{owner}', 't', 't');"
                ))?;
                refine_store::nodes::replace_rounds(
                    c,
                    GOAL,
                    &[refine_model::work::Round {
                        number: 1,
                        request: "r".into(),
                        plan: None,
                        outcome: None,
                        evidence: vec![],
                        started_at: "2026-01-01T00:00:00Z".into(),
                        ended_at: None,
                    }],
                )
            })
            .unwrap();
        (core, dir)
    }

    /// A small, valid document of Round 1 from `origin` with `candidate`.
    fn heard(origin: &str, lease: u64, candidate: &str) -> RoundDoc {
        let mut d = doc();
        d.origin = origin.into();
        d.lease = lease;
        d.plan = Some("the plan".into());
        d.work.quality.clear();
        d.work.candidate_commit = Some(candidate.into());
        d.runs[0].run.result = None;
        d.runs[0].transcript = transcript(2, 10);
        d
    }

    fn candidate(core: &Core) -> Option<String> {
        core.0
            .store
            .read(|c| refine_store::agents::round_work(c, GOAL, 1))
            .unwrap()
            .candidate_commit
    }

    const KEY: &str = "r.k.7f0c2a4e-5b1d-4c3e-9a8b-0d1e2f3a4b5c.1";

    #[tokio::test]
    async fn a_heard_round_is_applied_from_its_owner_only_and_in_order() {
        let (core, _d) = node("other").await;
        core.heard_round(KEY, 5, heard("other", 3, TIP), APP).await;
        assert_eq!(candidate(&core).as_deref(), Some(TIP), "applied");
        let runs = core
            .0
            .store
            .read(|c| refine_store::agents::runs_of_round(c, GOAL, 1))
            .unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].app_id, APP, "mapped onto this node's app");
        // An older revision of the key, heard late (a lease check read it, say): not applied.
        core.heard_round(KEY, 4, heard("other", 3, BASE), APP).await;
        assert_eq!(candidate(&core).as_deref(), Some(TIP), "a stale revision");
        // From a node that does not work the Goal: not applied, waits for the Goal; whatever
        // lease it names does not count.
        core.heard_round(KEY, 6, heard("third", u64::MAX, BASE), APP)
            .await;
        assert_eq!(
            candidate(&core).as_deref(),
            Some(TIP),
            "origin is not the owner"
        );
        assert!(lock(&core.rounds_state().waiting).contains(GOAL));
        // Written under an older lease than seen (a node that lost the Goal): refused.
        let before = core.cluster().rejected.load(Ordering::Relaxed);
        core.heard_round(KEY, 7, heard("other", 2, BASE), APP).await;
        assert_eq!(candidate(&core).as_deref(), Some(TIP), "a stale lease");
        assert_eq!(core.cluster().rejected.load(Ordering::Relaxed), before + 1);
        // A newer one from the owner is.
        core.heard_round(KEY, 8, heard("other", 4, BASE), APP).await;
        assert_eq!(candidate(&core).as_deref(), Some(BASE));
    }

    #[tokio::test]
    async fn a_round_worked_here_is_never_overwritten() {
        // The Goal is this node's.
        let (core, _d) = node("me").await;
        assert!(!core.apply_round(APP, heard("me", 1, TIP)).await.unwrap());
        assert!(!core.apply_round(APP, heard("other", 1, TIP)).await.unwrap());
        assert_eq!(candidate(&core), None);
        // Another node's on record (a stale copy reset it), but this node holds its lease.
        let (core, _d) = node("other").await;
        lock(&core.cluster().shared.leases).insert(GOAL.into(), 9);
        assert!(!core.apply_round(APP, heard("other", 1, TIP)).await.unwrap());
        assert_eq!(candidate(&core), None);
        lock(&core.cluster().shared.leases).clear();
        assert!(core.apply_round(APP, heard("other", 1, TIP)).await.unwrap());
    }

    #[tokio::test]
    async fn a_round_naming_the_target_branch_or_another_goals_run_is_refused() {
        let (core, _d) = node("other").await;
        let mut d = heard("other", 1, TIP);
        let target = |b: &str| {
            let sql = format!("UPDATE apps SET default_branch = '{b}'");
            core.0
                .store
                .write(|c| {
                    c.execute_batch(&sql)
                        .map_err(refine_store::StoreError::from)
                })
                .unwrap();
        };
        target("refine/1/round-1");
        let e = core.apply_round(APP, d.clone()).await.unwrap_err();
        assert!(e.message.contains("target branch"), "{}", e.message);
        target("main");
        // A run id that is another Goal's run here.
        let mut theirs = run(RUN);
        theirs.goal_id = Some("1f0c2a4e-5b1d-4c3e-9a8b-0d1e2f3a4b5c".into());
        theirs.app_id = APP.into();
        core.0
            .store
            .write(|c| {
                c.execute_batch(&format!(
                    "INSERT INTO goals(id, app_id, number, title, status, node_id, created_at, updated_at)
                       VALUES ('1f0c2a4e-5b1d-4c3e-9a8b-0d1e2f3a4b5c', '{APP}', 2, 'H', 'review', 'x', 't', 't');"
                ))?;
                refine_store::agents::insert_run(c, &theirs)
            })
            .unwrap();
        let e = core.apply_round(APP, d.clone()).await.unwrap_err();
        assert!(e.message.contains("another Goal"), "{}", e.message);
        assert_eq!(candidate(&core), None, "nothing of it applied");
        let kept = core
            .0
            .store
            .read(|c| refine_store::agents::get_run(c, RUN))
            .unwrap()
            .unwrap();
        assert_eq!(kept.goal_id, theirs.goal_id);
        d.runs.clear();
        assert!(core.apply_round(APP, d).await.unwrap());
    }

    #[tokio::test]
    async fn no_round_is_published_after_the_lease_is_lost() {
        let (core, _d) = node("me").await;
        let goal = core.get_goal_any(GOAL).await.unwrap();
        assert_eq!(core.round_token(&goal), None, "running without a lease");
        lock(&core.cluster().shared.leases).insert(GOAL.into(), 5);
        assert_eq!(core.round_token(&goal), Some(5));
        lock(&core.rounds_state().dirty).insert((GOAL.into(), 1));
        // The lease is lost (a renewal found another node's): its Round changes go, and
        // nothing more is published, whatever the worker still records.
        core.lost_lease_here(GOAL);
        assert!(lock(&core.rounds_state().dirty).is_empty());
        assert_eq!(core.round_token(&goal), None);
        // Held again, but another node has published under a newer lease: not over it.
        lock(&core.cluster().shared.leases).insert(GOAL.into(), 5);
        lock(&core.rounds_state().tokens).insert(GOAL.into(), 9);
        assert_eq!(core.round_token(&goal), None);
        // Another node's Goal: never.
        let (core, _d) = node("other").await;
        lock(&core.cluster().shared.leases).insert(GOAL.into(), 5);
        let goal = core.get_goal_any(GOAL).await.unwrap();
        assert_eq!(core.round_token(&goal), None);
    }
}
