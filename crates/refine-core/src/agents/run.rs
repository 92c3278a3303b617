//! One headless agent run: a supervised process in the worktree, its output parsed into the
//! run's transcript as it arrives, the run recorded; and interactive sessions on a terminal.

use crate::chat::{REPLY_CUT, REPLY_TAIL};
use crate::events::kind;
use crate::processes::end_of;
use crate::processes::StartProcessInput;
use crate::terminal::CreateTerminalInput;
use crate::{clock, new_id, Core, Ctx, Mutated};
use refine_model::agents::{self as model, AgentRun, DetectionState, Phase, PromptDelivery};
use refine_model::event::TranscriptBatch;
use refine_model::process::{ProcessOwner, ProcessStatus};
use refine_model::terminal::TerminalInfo;
use refine_model::transcript::{TranscriptEntry, TranscriptItem};
use refine_model::ApiError;
use refine_store::agents as table;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::transcript::{parser_for, Collector};
use super::*;

/// Transcript entries are stored and sent at least this often while a run speaks.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// A batch is stored (one transaction) sooner once it holds this many entries.
const BATCH_ENTRIES: usize = 64;
/// A stored batch goes out as `agents.transcript` events that cost at most this much memory
/// each (their entries' JSON plus `ENTRY_COST` an entry, about what an entry adds as JSON in
/// memory; at least one entry): the event bus keeps its last events whole, so small events keep
/// it small however fast an agent speaks.
const EVENT_BYTES: usize = 4 * 1024;
const ENTRY_COST: usize = 512;

/// How much of a run's output an answer keeps outside chat (see `run_agent_once`).
const ANSWER_TAIL: usize = 16 * 1024;
/// [`end_of`], owned: a short text is kept without a copy.
fn tail_of(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    end_of(&text, max).to_string()
}

/// Where a transcript belongs.
struct PumpMeta {
    run_id: String,
    app_id: String,
    goal_id: Option<String>,
    round: Option<u32>,
    process_id: String,
}

impl Core {
    /// `agents.runs.list`: every agent run of a Goal.
    pub async fn agents_runs_list(&self, input: GoalRunsInput) -> Result<Vec<AgentRun>, ApiError> {
        let goal = self.get_goal_any(&input.goal_id).await?;
        self.read(move |c| table::runs_of_goal(c, &goal.id)).await
    }

    /// `agents.launch`: an interactive agent session on a terminal in the app root.
    pub async fn agents_launch(
        &self,
        ctx: &Ctx,
        input: LaunchInput,
    ) -> Result<Mutated<TerminalInfo>, ApiError> {
        let app = self.resolve_app(ctx, input.app_id.as_deref()).await?;
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let name = input
            .profile
            .clone()
            .unwrap_or(settings.agents.default_profile.clone());
        let p = self.profile(&name).await?;
        let d = self.detection_of(&p, Duration::ZERO).await;
        if d.state != DetectionState::Installed {
            return Err(ApiError::precondition(d.diagnosis));
        }
        let mut argv = vec![p.command.clone()];
        argv.extend(p.interactive_args.iter().cloned());
        self.terminal_create(
            ctx,
            CreateTerminalInput {
                app_id: Some(app.id.clone()),
                argv: Some(argv),
                cwd: None,
                cols: input.cols,
                rows: input.rows,
                title: Some(format!("agent: {}", p.name)),
            },
        )
        .await
    }

    /// Run an agent once, headless, and wait for it to end (or `timeout`, or a stop). Its
    /// stdout is parsed into the run's transcript as it arrives (stored in batches, sent live as
    /// `agents.transcript`); the result block is read from the final answer.
    pub(crate) async fn run_agent_once(
        &self,
        spec: &RunSpec,
        attempt: u32,
        on_process: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<Answer, AgentFailure> {
        if spec
            .goal_id
            .as_deref()
            .is_some_and(|g| self.stop_requested(g))
        {
            return Err(AgentFailure::Stopped);
        }
        // Fenced: in a cluster, a running Goal's agent starts only while this node still holds
        // the Goal's lease (renewed now: a node that was suspended past it starts nothing).
        // (The Goal is read only where the app is shared.)
        if let Some(goal) = spec.goal_id.as_deref() {
            let fenced = self.shared_key(&spec.app_id).await.is_some()
                && self
                    .get_goal_any(goal)
                    .await
                    .is_ok_and(|g| g.status.is_running());
            if fenced {
                if let Err(why) = self.fence(goal, &spec.app_id).await {
                    tracing::warn!(goal, reason = %why, "not starting a run of a Goal this node no longer holds");
                    return Err(AgentFailure::Stopped);
                }
            }
        }
        let run_id = new_id();
        let dir = self.0.data_dir.join("runs").join(&run_id);
        // The private prompt file goes with the run, however it ends.
        struct RemoveDir(PathBuf);
        impl Drop for RemoveDir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
        let _cleanup = RemoveDir(dir.clone());
        std::fs::create_dir_all(&dir).map_err(|e| ApiError::internal(e.to_string()))?;
        let prompt_file = dir.join("prompt.md");
        {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&prompt_file)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            f.write_all(spec.prompt.as_bytes())
                .map_err(|e| ApiError::internal(e.to_string()))?;
        }
        let p = &spec.profile;
        let (args, resumed) = match &spec.resume {
            Some(sid) if !p.resume_args.is_empty() => (
                p.resume_args
                    .iter()
                    .map(|a| a.replace("{sessionId}", sid))
                    .collect::<Vec<_>>(),
                true,
            ),
            _ => (p.args.clone(), false),
        };
        let mut argv = build_argv(p, &args, &spec.prompt, &prompt_file);
        let mut env: HashMap<String, String> =
            p.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        super::providers::apply(p, &mut argv, &mut env);
        env.insert("REFINE_PHASE".into(), spec.phase.as_str().into());
        env.insert(
            "REFINE_PROMPT_FILE".into(),
            prompt_file.to_string_lossy().to_string(),
        );
        let mut run = AgentRun {
            id: run_id.clone(),
            app_id: spec.app_id.clone(),
            goal_id: spec.goal_id.clone(),
            round: spec.round,
            phase: spec.phase,
            attempt,
            profile: p.name.clone(),
            process_id: None,
            status: "running".into(),
            result: None,
            error: None,
            started_at: clock::now(),
            ended_at: None,
            provider: Some(p.provider),
            session_id: spec.resume.clone().filter(|_| resumed),
            model: None,
            usage: Default::default(),
            turns: None,
            resumed,
            denials: 0,
            kind: spec.kind.to_string(),
            candidate: spec.candidate,
        };
        let r2 = run.clone();
        self.blocking(move |core| {
            core.0
                .store
                .write(|tx| table::insert_run(tx, &r2))
                .map_err(ApiError::from)
        })
        .await?;
        self.bus()
            .publish(kind::AGENTS_RUN, Some(run.app_id.clone()), &run);
        let stdin =
            (p.prompt_delivery == PromptDelivery::Stdin).then(|| spec.prompt.clone().into_bytes());
        let (tap_tx, tap_rx) = tokio::sync::mpsc::channel::<Arc<Vec<String>>>(16);
        let started = self
            .start_tapped_process(
                &spec.app_id,
                StartProcessInput {
                    app_id: Some(spec.app_id.clone()),
                    argv,
                    cwd: None,
                    env: Some(env),
                    label: Some(spec.label.clone()),
                    owner: Some(ProcessOwner {
                        goal_id: spec.goal_id.clone(),
                        round: spec.round,
                        operation_id: None,
                    }),
                },
                spec.cwd.clone(),
                stdin,
                Some(tap_tx),
            )
            .await;
        let (info, mut done) = match started {
            Ok(x) => x,
            Err(e) => {
                run.status = "failed".into();
                run.error = Some(e.message.clone());
                run.ended_at = Some(clock::now());
                self.save_run(&run).await;
                return Err(AgentFailure::Fault(format!(
                    "the agent {} could not start: {}",
                    p.name, e.message
                )));
            }
        };
        run.process_id = Some(info.id.clone());
        self.save_run(&run).await;
        on_process(&info.id);
        let collector = Arc::new(Mutex::new(Collector::new(parser_for(
            p,
            &spec.cwd.to_string_lossy(),
        ))));
        let pump = tokio::spawn(self.clone().transcript_pump(
            PumpMeta {
                run_id: run_id.clone(),
                app_id: spec.app_id.clone(),
                goal_id: spec.goal_id.clone(),
                round: spec.round,
                process_id: info.id.clone(),
            },
            collector.clone(),
            tap_rx,
        ));
        let ended = tokio::time::timeout(spec.timeout, async {
            while !*done.borrow() {
                if done.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
        if ended.is_err() {
            let _ = self.stop_process_quiet(&info.id).await;
            while !*done.borrow() {
                if done.changed().await.is_err() {
                    break;
                }
            }
        }
        // The pump ends when stdout closes; a leftover holding the pipe does not hold us up.
        let mut pump = pump;
        if tokio::time::timeout(Duration::from_secs(5), &mut pump)
            .await
            .is_err()
        {
            pump.abort();
        }
        let summary = collector
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .summary
            .clone();
        let final_info = self
            .processes_get(crate::processes::ProcessIdInput {
                id: info.id.clone(),
            })
            .await?;
        run.ended_at = Some(clock::now());
        run.session_id = summary.session_id.clone().or(run.session_id.clone());
        run.model = summary.model.clone();
        run.usage = summary.usage.unwrap_or_default();
        run.turns = summary.turns;
        run.denials = summary.denials;
        if final_info.status == ProcessStatus::Stopped && ended.is_ok() {
            run.status = "stopped".into();
            self.save_run(&run).await;
            return Err(AgentFailure::Stopped);
        }
        let output = match &summary.final_text {
            Some(t) => t.clone(),
            // A chat reply of a plain-text agent is its output: its end, as much as a message
            // sensibly holds (the whole output stays in the run's log and transcript).
            None if spec.phase == Phase::Chat => {
                let window = 4 * REPLY_TAIL as u64;
                match self.process_stdout_tail(&info.id, window, REPLY_TAIL).await {
                    (text, true) if !text.trim().is_empty() => format!("{REPLY_CUT}\n{text}"),
                    (text, _) => text,
                }
            }
            None => self.process_stdout(&info.id).await,
        };
        let failed_run = final_info.exit_code != Some(0) || summary.finished_ok == Some(false);
        if failed_run && ended.is_ok() {
            let stderr = self.process_tail(&info.id, 20).await;
            match super::limits::classify(&summary.errors, &stderr, time::OffsetDateTime::now_utc())
            {
                Some(super::limits::Trouble::Limit { reset, message }) => {
                    run.status = "limited".into();
                    run.error = Some(message.clone());
                    self.save_run(&run).await;
                    return Err(AgentFailure::Limited {
                        profile: p.name.clone(),
                        reset,
                        message,
                    });
                }
                Some(super::limits::Trouble::Auth { message }) => {
                    run.status = "unauthorized".into();
                    run.error = Some(message.clone());
                    self.save_run(&run).await;
                    return Err(AgentFailure::Unauthorized {
                        profile: p.name.clone(),
                        message,
                    });
                }
                None => {}
            }
        }
        let block = model::parse_result_block(&output);
        match (&block, final_info.exit_code) {
            (_, _) if ended.is_err() => {
                run.status = "failed".into();
                run.error = Some(format!(
                    "no answer within {} s; stopped",
                    spec.timeout.as_secs()
                ));
            }
            // The CLI says the run failed (an API error) although it exited 0.
            (_, Some(0)) if summary.finished_ok == Some(false) => {
                run.status = "failed".into();
                run.error = Some(
                    summary
                        .errors
                        .last()
                        .map(|(_, m)| m.clone())
                        .unwrap_or_else(|| "the agent reported a failed run".into()),
                );
            }
            (Ok(v), Some(0)) => {
                run.status = "done".into();
                run.result = Some(v.clone());
            }
            // A chat reply is the text itself; the block is optional there.
            (Err(_), Some(0)) if spec.phase == Phase::Chat => {
                run.status = "done".into();
            }
            (_, code) if code != Some(0) => {
                let tail = match summary.errors.last() {
                    Some((_, m)) => m.clone(),
                    None => self.process_tail(&info.id, 5).await,
                };
                run.status = "failed".into();
                run.error = Some(format!(
                    "exited with {}{}",
                    code.map(|c| format!("code {c}"))
                        .unwrap_or_else(|| "a signal".into()),
                    if tail.is_empty() {
                        String::new()
                    } else {
                        format!(": {tail}")
                    }
                ));
            }
            (Err(e), _) => {
                run.status = "invalid".into();
                run.error = Some(e.clone());
            }
            _ => {}
        }
        self.save_run(&run).await;
        let block = if run.status == "done" {
            block
        } else {
            Err(run.error.clone().unwrap_or_default())
        };
        // Only a chat reply is the output itself; elsewhere the block is the answer and the
        // output's end explains a missing one: a long output is not held on to.
        let output = if spec.phase == Phase::Chat {
            output
        } else {
            tail_of(output, ANSWER_TAIL)
        };
        Ok(Answer {
            output,
            block,
            session_id: run.session_id.clone(),
            run_id,
        })
    }

    /// Parse a run's stdout into its transcript as it arrives: entries stored in batches (one
    /// transaction each) and sent as `agents.transcript` events.
    async fn transcript_pump(
        self,
        meta: PumpMeta,
        collector: Arc<Mutex<Collector>>,
        mut lines: tokio::sync::mpsc::Receiver<Arc<Vec<String>>>,
    ) {
        let mut seq = 0u32;
        let mut batch: Vec<TranscriptEntry> = Vec::new();
        let mut sizes: Vec<usize> = Vec::new();
        let mut last_flush = std::time::Instant::now();
        let entries = |items: Vec<TranscriptItem>, seq: &mut u32| -> Vec<TranscriptEntry> {
            let at = clock::now();
            items
                .into_iter()
                .map(|item| {
                    let e = TranscriptEntry {
                        run_id: meta.run_id.clone(),
                        seq: *seq,
                        at: at.clone(),
                        item,
                    };
                    *seq += 1;
                    e
                })
                .collect()
        };
        loop {
            match tokio::time::timeout(FLUSH_EVERY, lines.recv()).await {
                Ok(Some(got)) => {
                    for line in got.iter() {
                        let (items, kept) = {
                            let mut c = collector.lock().unwrap_or_else(|p| p.into_inner());
                            let items = c.line(line);
                            (items, c.take_kept_sizes())
                        };
                        batch.extend(entries(items, &mut seq));
                        sizes.extend(kept);
                        if batch.len() >= BATCH_ENTRIES {
                            let (b, s) = (std::mem::take(&mut batch), std::mem::take(&mut sizes));
                            self.flush_transcript(&meta, b, s).await;
                            last_flush = std::time::Instant::now();
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => {}
            }
            if !batch.is_empty() && last_flush.elapsed() >= FLUSH_EVERY {
                let (b, s) = (std::mem::take(&mut batch), std::mem::take(&mut sizes));
                self.flush_transcript(&meta, b, s).await;
                last_flush = std::time::Instant::now();
            }
        }
        let (items, kept) = {
            let mut c = collector.lock().unwrap_or_else(|p| p.into_inner());
            let items = c.finish();
            (items, c.take_kept_sizes())
        };
        batch.extend(entries(items, &mut seq));
        sizes.extend(kept);
        self.flush_transcript(&meta, batch, sizes).await;
    }

    /// Store a batch (one transaction), then send it in events of at most `EVENT_BYTES`;
    /// `sizes` are its entries' sizes as JSON (an entry without one counts as small).
    async fn flush_transcript(
        &self,
        meta: &PumpMeta,
        batch: Vec<TranscriptEntry>,
        sizes: Vec<usize>,
    ) {
        if batch.is_empty() {
            return;
        }
        let b2 = batch.clone();
        let saved = self
            .blocking(move |core| {
                core.0
                    .store
                    .write(|tx| table::insert_transcript(tx, &b2))
                    .map_err(ApiError::from)
            })
            .await;
        if let Err(e) = saved {
            tracing::warn!(error = %e.message, run = %meta.run_id, "could not store transcript entries");
        }
        let publish = |entries: Vec<TranscriptEntry>| {
            self.bus().publish(
                kind::AGENTS_TRANSCRIPT,
                Some(meta.app_id.clone()),
                &TranscriptBatch {
                    run_id: meta.run_id.clone(),
                    goal_id: meta.goal_id.clone(),
                    round: meta.round,
                    process_id: meta.process_id.clone(),
                    entries,
                },
            );
        };
        let mut chunk = Vec::new();
        let mut cost = 0;
        let sizes = sizes.into_iter().chain(std::iter::repeat(64));
        for (entry, size) in batch.into_iter().zip(sizes) {
            let c = size + ENTRY_COST;
            if !chunk.is_empty() && cost + c > EVENT_BYTES {
                publish(std::mem::take(&mut chunk));
                cost = 0;
            }
            chunk.push(entry);
            cost += c;
        }
        if !chunk.is_empty() {
            publish(chunk);
        }
    }

    pub(crate) async fn save_run(&self, run: &AgentRun) {
        let r = run.clone();
        let saved = self
            .blocking(move |core| {
                core.0
                    .store
                    .write(|tx| table::update_run(tx, &r))
                    .map_err(ApiError::from)
            })
            .await;
        if let Err(e) = saved {
            tracing::warn!(error = %e.message, "could not save an agent run");
        }
        self.bus()
            .publish(kind::AGENTS_RUN, Some(run.app_id.clone()), run);
    }
}

#[cfg(test)]
mod tests {
    use super::tail_of;

    #[test]
    fn tail_of_keeps_the_end_at_a_character_boundary() {
        assert_eq!(tail_of("short".into(), 10), "short");
        assert_eq!(tail_of("abcdef".into(), 3), "def");
        // "é" is two bytes: a cut inside it starts after it.
        assert_eq!(tail_of("aéb".into(), 2), "b");
    }
}
