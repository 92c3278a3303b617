//! `refine goal`: Goals and their way through the workflow.

use clap::{Args, Subcommand};
use refine_api::ops::{goals, previews, runner, workflow};
use refine_client::{CliError, Client};
use refine_core::previews::{ListPreviewsInput, PreviewGoalInput};
use refine_core::runner::TellInput;
use refine_core::work::{
    BulkPatch, BulkResult, BulkUpdateInput, CreateGoalInput, ExportFormat, ExportInput,
    GoalIdInput, GoalPage, GoalSort, ListGoalsInput, UpdateGoalInput,
};
use refine_core::workflow::{
    AdvanceInput, DeclineInput, Eligibility, EligibleInput, GoalActionInput, MoveInput,
    TransitionResult,
};
use refine_model::process::Preview;
use refine_model::work::Goal;
use refine_model::workflow::WorkflowState;

use super::feature::feature_id;
use super::reporter::reporter_id;
use super::{next_page, page_limit, read_text, wire_enum, Commands, Run};
use crate::render::{opt, state, wire, Cell, Printer, Render};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum GoalCmd {
    /// Create a Goal (backlog unless --todo).
    Create {
        title: String,
        /// Markdown: what exists vs. what should exist.
        #[arg(long)]
        prompt: Option<String>,
        /// Read the prompt from a file (`-` = standard input).
        #[arg(long, conflicts_with = "prompt")]
        prompt_file: Option<String>,
        /// Feature name or id (appended at the end).
        #[arg(long)]
        feature: Option<String>,
        #[arg(long = "label")]
        labels: Vec<String>,
        #[arg(long, allow_hyphen_values = true)]
        priority: Option<i32>,
        #[arg(long)]
        assignee: Option<String>,
        /// Reporter name or id (default: the reporter named like --actor, if there is one).
        #[arg(long)]
        reporter: Option<String>,
        /// Queue it (todo) instead of the backlog.
        #[arg(long)]
        todo: bool,
        /// Best-of-N: candidates each Round implements side by side (1-5; default: the app's
        /// `runner.candidates`).
        #[arg(long)]
        candidates: Option<u32>,
    },
    /// List Goals, a page at a time (`--all`: every page).
    List {
        /// Comma-separated states, e.g. todo,review.
        #[arg(long, value_delimiter = ',', value_parser = wire_enum::<WorkflowState>())]
        status: Vec<WorkflowState>,
        /// Feature name or id (`none`: without a Feature).
        #[arg(long)]
        feature: Option<String>,
        #[arg(long)]
        label: Option<String>,
        #[arg(long)]
        assignee: Option<String>,
        /// Full-text search over title, prompt and notes.
        #[arg(long, short)]
        q: Option<String>,
        #[arg(long, value_parser = wire_enum::<GoalSort>())]
        sort: Option<GoalSort>,
        /// Goals per page (1..=500).
        #[arg(long, default_value_t = 50, value_parser = page_limit())]
        limit: u32,
        /// Start at this page (`nextCursor` of the previous one).
        #[arg(long)]
        cursor: Option<String>,
        /// Fetch every page (printed as one page).
        #[arg(long, conflicts_with = "cursor")]
        all: bool,
        /// Deleted (restorable) Goals.
        #[arg(long)]
        deleted: bool,
    },
    /// Show one Goal (`12`, `#12` or an id).
    Show { goal: String },
    /// Change fields of a Goal.
    Edit {
        goal: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        prompt: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        priority: Option<i32>,
        /// Replace the labels (repeat the flag).
        #[arg(long = "label")]
        labels: Option<Vec<String>>,
        /// Best-of-N candidates per Round (1-5), or `default` for the app's setting.
        #[arg(long, value_parser = candidates_arg)]
        candidates: Option<Option<u32>>,
        #[command(flatten)]
        who: Placement,
    },
    /// Apply one change to many Goals; each succeeds or fails on its own.
    Bulk {
        /// Goals (`12`, `#12` or ids).
        #[arg(required = true)]
        goals: Vec<String>,
        /// backlog, todo or cancelled (through the workflow's rules).
        #[arg(long, value_parser = wire_enum::<WorkflowState>())]
        status: Option<WorkflowState>,
        #[arg(long, allow_hyphen_values = true)]
        priority: Option<i32>,
        #[arg(long = "add-label")]
        add_labels: Vec<String>,
        #[arg(long = "remove-label")]
        remove_labels: Vec<String>,
        #[command(flatten)]
        who: Placement,
    },
    /// Move a Goal: backlog/todo by hand, or step it through the workflow (plan, implement, …).
    Move {
        goal: String,
        #[arg(value_parser = wire_enum::<WorkflowState>())]
        state: WorkflowState,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Approve a Goal in review.
    Approve {
        goal: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Decline a Goal in review (back to todo with a new Round, or --cancel).
    Decline {
        goal: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        cancel: bool,
    },
    /// Retry a failed Goal.
    Retry {
        goal: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Cancel a Goal.
    Cancel {
        goal: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Tell a Goal's agent something while the Goal is in review: it resumes its session, the
    /// candidate is refreshed and checked again.
    Tell {
        goal: String,
        /// What the agent should do next.
        message: String,
    },
    /// Run the candidate of a Goal in review on its own port and print its URL once it answers
    /// (--stop: stop it; --list: every running preview).
    Preview {
        #[arg(required_unless_present = "list")]
        goal: Option<String>,
        #[arg(long, conflicts_with = "list")]
        stop: bool,
        #[arg(long)]
        list: bool,
    },
    /// Push a Goal's candidate branch to the app's remote; open a pull/merge request when gh or
    /// glab is signed in.
    Publish {
        goal: String,
        #[arg(long)]
        remote: Option<String>,
        /// Push only; open no request.
        #[arg(long)]
        no_request: bool,
    },
    /// Delete a Goal (restorable).
    #[command(alias = "rm", alias = "remove")]
    Delete { goal: String },
    /// Restore a deleted Goal.
    Restore { goal: String },
    /// Pin a Goal to a node (only that node starts it), or unpin it with --unpin.
    Assign {
        goal: String,
        /// The node's name or id (see `refine nodes list`).
        #[arg(long, required_unless_present = "unpin", conflicts_with = "unpin")]
        node: Option<String>,
        /// Let whichever node has room start it.
        #[arg(long)]
        unpin: bool,
    },
    /// Which todo Goals may start now, and why the others wait.
    Eligible,
    /// Export the app's Goals: json (lossless) or csv (Jira columns).
    Export {
        #[arg(long, default_value = "json", value_parser = wire_enum::<ExportFormat>())]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<String>,
    },
}

/// Who works on a Goal and where it belongs, as `edit` and `bulk` change them.
#[derive(Args, Debug)]
pub struct Placement {
    /// The assignee (`''` clears it).
    #[arg(long)]
    assignee: Option<String>,
    /// Into this Feature (name or id), at its end.
    #[arg(long)]
    feature: Option<String>,
    /// Out of its Feature.
    #[arg(long, conflicts_with = "feature")]
    no_feature: bool,
}

impl Placement {
    /// The assignee as a patch: unchanged, set, or cleared by an empty one.
    fn assignee(&self) -> Option<Option<String>> {
        self.assignee
            .as_ref()
            .map(|a| (!a.is_empty()).then(|| a.clone()))
    }

    /// The Feature as a patch: unchanged, into one, or out of any.
    async fn feature(&self, c: &Client) -> Result<Option<Option<String>>> {
        Ok(match &self.feature {
            Some(f) => Some(Some(feature_id(c, f).await?)),
            None if self.no_feature => Some(None),
            None => None,
        })
    }
}

pub const COMMANDS: Commands = &[
    (
        "create",
        &[
            goals::CREATE.name,
            refine_api::ops::features::LIST.name,
            refine_api::ops::reporters::LIST.name,
        ],
    ),
    (
        "list",
        &[goals::LIST.name, refine_api::ops::features::LIST.name],
    ),
    ("show", &[goals::GET.name]),
    (
        "edit",
        &[goals::UPDATE.name, refine_api::ops::features::LIST.name],
    ),
    (
        "bulk",
        &[
            goals::BULK_UPDATE.name,
            refine_api::ops::features::LIST.name,
        ],
    ),
    (
        "move",
        &[
            goals::GET.name,
            workflow::MOVE.name,
            workflow::ADVANCE.name,
            workflow::APPROVE.name,
            workflow::RETRY.name,
            workflow::CANCEL.name,
        ],
    ),
    ("approve", &[workflow::APPROVE.name]),
    ("decline", &[workflow::DECLINE.name]),
    ("retry", &[workflow::RETRY.name]),
    ("cancel", &[workflow::CANCEL.name]),
    ("tell", &[runner::TELL.name]),
    ("publish", &[goals::PUBLISH.name]),
    (
        "preview",
        &[
            previews::START.name,
            previews::LIST.name,
            previews::STOP.name,
        ],
    ),
    ("delete", &[goals::DELETE.name]),
    ("restore", &[goals::RESTORE.name]),
    ("assign", &[refine_api::ops::nodes::ASSIGN.name]),
    ("eligible", &[workflow::ELIGIBLE.name]),
    ("export", &[goals::EXPORT.name]),
];

fn action(goal: &str, reason: &Option<String>) -> GoalActionInput {
    GoalActionInput {
        goal_id: goal.to_string(),
        reason: reason.clone(),
    }
}

pub async fn run(r: &Run<'_>, cmd: &GoalCmd) -> Result {
    let c = r.c;
    match cmd {
        GoalCmd::Create {
            title,
            prompt,
            prompt_file,
            feature,
            labels,
            priority,
            assignee,
            reporter,
            todo,
            candidates,
        } => {
            let prompt = match prompt_file {
                Some(f) => Some(read_text(f)?),
                None => prompt.clone(),
            };
            let feature_id = match feature {
                Some(f) => Some(feature_id(c, f).await?),
                None => None,
            };
            let reporter_id = match (reporter, r.actor) {
                (Some(given), _) => Some(reporter_id(c, given).await?),
                // The actor reports it when a reporter has that name.
                (None, Some(actor)) => reporter_id(c, actor).await.ok(),
                (None, None) => None,
            };
            let input = CreateGoalInput {
                app_id: None,
                title: title.clone(),
                prompt,
                notes: None,
                status: todo.then_some(WorkflowState::Todo),
                priority: *priority,
                reporter_id,
                assignee: assignee.clone(),
                feature_id,
                labels: Some(labels.clone()),
                external: None,
                candidates: *candidates,
            };
            let g = c.run(goals::CREATE, &input).await?;
            r.out.done(&g, |g| {
                format!(
                    "Created Goal #{} “{}” ({})",
                    g.number,
                    g.title,
                    wire(&g.status)
                )
            })
        }
        GoalCmd::List {
            status,
            feature,
            label,
            assignee,
            q,
            sort,
            limit,
            cursor,
            all,
            deleted,
        } => {
            let feature_id = match feature.as_deref() {
                Some("none") => Some("none".to_string()),
                Some(f) => Some(feature_id(c, f).await?),
                None => None,
            };
            let input = ListGoalsInput {
                app_id: None,
                status: (!status.is_empty()).then(|| status.clone()),
                feature_id,
                label: label.clone(),
                reporter_id: None,
                assignee: assignee.clone(),
                node_id: None,
                q: q.clone(),
                deleted: deleted.then_some(true),
                sort: *sort,
                limit: Some(*limit),
                cursor: cursor.clone(),
            };
            let mut page = c.run(goals::LIST, &input).await?;
            if *all {
                while let Some(next) = page.next_cursor.take() {
                    let more = ListGoalsInput {
                        cursor: Some(next),
                        ..input.clone()
                    };
                    let more = c.run(goals::LIST, &more).await?;
                    page.items.extend(more.items);
                    page.next_cursor = more.next_cursor;
                }
            }
            r.out.show(&page)
        }
        GoalCmd::Show { goal } => {
            let id = goal.clone();
            r.out.show(&c.run(goals::GET, &GoalIdInput { id }).await?)
        }
        GoalCmd::Edit {
            goal,
            title,
            prompt,
            notes,
            priority,
            labels,
            candidates,
            who,
        } => {
            let input = UpdateGoalInput {
                id: goal.clone(),
                title: title.clone(),
                prompt: prompt.clone(),
                notes: notes.clone(),
                priority: *priority,
                reporter_id: None,
                assignee: who.assignee(),
                labels: labels.clone(),
                feature_id: who.feature(c).await?,
                candidates: *candidates,
            };
            r.out.show(&c.run(goals::UPDATE, &input).await?)
        }
        GoalCmd::Bulk {
            goals: ids,
            status,
            priority,
            add_labels,
            remove_labels,
            who,
        } => {
            let labels = |l: &Vec<String>| (!l.is_empty()).then(|| l.clone());
            let input = BulkUpdateInput {
                ids: ids.clone(),
                patch: BulkPatch {
                    status: *status,
                    priority: *priority,
                    add_labels: labels(add_labels),
                    remove_labels: labels(remove_labels),
                    assignee: who.assignee(),
                    feature_id: who.feature(c).await?,
                },
            };
            r.out.show(&c.run(goals::BULK_UPDATE, &input).await?)
        }
        GoalCmd::Move {
            goal,
            state,
            reason,
        } => {
            let goal_id = goal.clone();
            let t = match state {
                WorkflowState::Backlog | WorkflowState::Todo => {
                    let current = c.run(goals::GET, &GoalIdInput { id: goal.clone() }).await?;
                    // A failed Goal goes back to todo by a retry (with a new Round).
                    if current.status == WorkflowState::Failed && *state == WorkflowState::Todo {
                        c.run(workflow::RETRY, &action(goal, reason)).await?
                    } else {
                        let input = MoveInput {
                            goal_id,
                            to: *state,
                        };
                        c.run(workflow::MOVE, &input).await?
                    }
                }
                WorkflowState::Cancelled => c.run(workflow::CANCEL, &action(goal, reason)).await?,
                WorkflowState::Done => c.run(workflow::APPROVE, &action(goal, reason)).await?,
                to => {
                    let input = AdvanceInput {
                        goal_id,
                        to: *to,
                        reason: reason.clone(),
                    };
                    c.run(workflow::ADVANCE, &input).await?
                }
            };
            r.out.show(&t)
        }
        GoalCmd::Approve { goal, reason } => r
            .out
            .show(&c.run(workflow::APPROVE, &action(goal, reason)).await?),
        GoalCmd::Decline {
            goal,
            reason,
            cancel,
        } => {
            let input = DeclineInput {
                goal_id: goal.clone(),
                reason: reason.clone(),
                cancel: Some(*cancel),
            };
            r.out.show(&c.run(workflow::DECLINE, &input).await?)
        }
        GoalCmd::Retry { goal, reason } => r
            .out
            .show(&c.run(workflow::RETRY, &action(goal, reason)).await?),
        GoalCmd::Cancel { goal, reason } => r
            .out
            .show(&c.run(workflow::CANCEL, &action(goal, reason)).await?),
        GoalCmd::Publish {
            goal,
            remote,
            no_request,
        } => {
            let input = refine_core::publish::PublishInput {
                goal_id: goal.clone(),
                remote: remote.clone(),
                request: Some(!no_request),
            };
            let p = c.run(goals::PUBLISH, &input).await?;
            r.out.done(&p, |p| {
                let mut s = format!(
                    "Pushed {} ({}) to {}",
                    p.branch,
                    &p.commit[..p.commit.len().min(10)],
                    p.remote
                );
                match (&p.request_url, &p.note) {
                    (Some(u), _) => s.push_str(&format!("\nOpened {u}")),
                    (None, Some(n)) => s.push_str(&format!("\n{n}")),
                    _ => {}
                }
                s
            })
        }
        GoalCmd::Preview { goal, stop, list } => {
            if *list {
                return r.out.show(&Previews(
                    c.run(previews::LIST, &ListPreviewsInput {}).await?,
                ));
            }
            let goal_id = goal.clone().unwrap_or_default();
            if *stop {
                let p = c.run(previews::STOP, &PreviewGoalInput { goal_id }).await?;
                return r
                    .out
                    .done(&p, |p| format!("Stopped the preview of #{}", p.goal_number));
            }
            let mut p = c
                .run(previews::START, &PreviewGoalInput { goal_id })
                .await?;
            // Wait for it to answer on its port (or to give up), as the daemon sees it.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(75);
            while p.status == "starting" && std::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                let now = c.run(previews::LIST, &ListPreviewsInput {}).await?;
                match now.into_iter().find(|x| x.goal_id == p.goal_id) {
                    Some(x) => p = x,
                    None => {
                        return Err(CliError::Usage(format!(
                            "the preview of #{} stopped before it answered; its log is on the Processes page (refine proc logs {})",
                            p.goal_number, p.process_id
                        )))
                    }
                }
            }
            r.out.done(&p, |p| match p.status.as_str() {
                "healthy" => format!("#{} runs at {}", p.goal_number, p.url),
                _ => format!(
                    "#{} started at {} but is {}: {}",
                    p.goal_number,
                    p.url,
                    p.status,
                    p.reason.clone().unwrap_or_default()
                ),
            })
        }
        GoalCmd::Tell { goal, message } => {
            let input = TellInput {
                goal_id: goal.clone(),
                message: message.clone(),
            };
            r.out.show(&c.run(runner::TELL, &input).await?)
        }
        GoalCmd::Delete { goal } => {
            let g = c
                .run(goals::DELETE, &GoalIdInput { id: goal.clone() })
                .await?;
            r.out.done(&g, |g| {
                format!(
                    "Deleted Goal #{} (refine goal restore {} brings it back)",
                    g.number, g.number
                )
            })
        }
        GoalCmd::Assign { goal, node, .. } => {
            let g = c
                .run(
                    refine_api::ops::nodes::ASSIGN,
                    &refine_core::cluster::AssignInput {
                        goal_id: goal.clone(),
                        node_id: node.clone(),
                    },
                )
                .await?;
            r.out.done(&g, |g| match &node {
                Some(n) => format!("Pinned Goal #{} to node {n}", g.number),
                None => format!("Unpinned Goal #{}: any node may start it", g.number),
            })
        }
        GoalCmd::Restore { goal } => {
            let g = c
                .run(goals::RESTORE, &GoalIdInput { id: goal.clone() })
                .await?;
            r.out.done(&g, |g| format!("Restored Goal #{}", g.number))
        }
        GoalCmd::Eligible => r
            .out
            .show(&c.run(workflow::ELIGIBLE, &EligibleInput::default()).await?),
        GoalCmd::Export { format, output } => {
            let input = ExportInput {
                app_id: None,
                format: *format,
            };
            let f = c.run(goals::EXPORT, &input).await?;
            match output {
                Some(path) => {
                    std::fs::write(path, &f.content)
                        .map_err(|e| CliError::Usage(format!("cannot write {path}: {e}")))?;
                    r.out
                        .done(&f, |f| format!("Exported {} Goal(s) to {path}", f.goals))
                }
                None if r.out.is_json() => r.out.json(&f),
                None => {
                    crate::out::content(&f.content);
                    Ok(())
                }
            }
        }
    }
}

fn labels(l: &[String]) -> String {
    if l.is_empty() {
        "-".into()
    } else {
        l.join(", ")
    }
}

/// `goal list`: one row per Goal, then how to see more.
impl Render for GoalPage {
    fn render(&self, p: &mut Printer) {
        let rows = self
            .items
            .iter()
            .map(|g| {
                vec![
                    Cell::from(format!("#{}", g.number)),
                    state(wire(&g.status)),
                    Cell::from(g.priority),
                    Cell::from(&g.title),
                    Cell::from(opt(&g.feature_name)),
                    Cell::from(g.labels.join(",")),
                    Cell::from(opt(&g.assignee)),
                ]
            })
            .collect();
        p.table(
            &[
                "#", "status", "prio", "title", "feature", "labels", "assignee",
            ],
            rows,
        );
        if let Some(total) = self.total.filter(|t| *t as usize > self.items.len()) {
            let more = if self.total_is_lower_bound { "+" } else { "" };
            p.line(format!(
                "{} of {total}{more} shown (--all for every page)",
                self.items.len()
            ));
        }
        next_page(p, &self.next_cursor);
    }
}

/// `goal show`: the Goal, its prompt and its Rounds.
impl Render for Goal {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "#{} {}  [{}]",
            self.number,
            self.title,
            wire(&self.status)
        ));
        let feature = match (&self.feature_name, self.position) {
            (Some(f), Some(pos)) => format!("{f} (position {})", pos + 1),
            (f, _) => opt(f),
        };
        let mut fields = vec![
            ("id", Cell::from(&self.id)),
            ("priority", Cell::from(self.priority)),
            ("feature", Cell::from(feature)),
            ("labels", Cell::from(labels(&self.labels))),
            ("assignee", Cell::from(opt(&self.assignee))),
            ("reporter", Cell::from(opt(&self.reporter_name))),
        ];
        if let Some(n) = self.candidates {
            fields.push(("candidates", Cell::from(format!("best of {n}"))));
        }
        if let Some(n) = &self.pinned_node {
            fields.push(("pinned to", Cell::from(n)));
        }
        if let Some(e) = &self.external {
            fields.push(("from", Cell::from(format!("{} {}", e.source, e.id))));
        }
        if let Some(d) = &self.deleted_at {
            fields.push(("deleted", Cell::from(d)));
        }
        p.fields(&fields);
        if !self.prompt.is_empty() {
            p.blank();
            p.line(&self.prompt);
            p.blank();
        }
        if !self.notes.is_empty() {
            p.line(format!("notes: {}", self.notes));
        }
        for round in &self.rounds {
            p.line(format!(
                "  round {}: {}{}",
                round.number,
                round.request,
                round
                    .outcome
                    .as_ref()
                    .map(|o| format!(" → {o}"))
                    .unwrap_or_default()
            ));
        }
    }
}

/// A move, approval, decline, retry, cancel or follow-up: where the Goal went.
impl Render for TransitionResult {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "Goal #{}: {} → {}{}",
            self.goal.number,
            wire(&self.from),
            wire(&self.to),
            if self.new_round { " (new round)" } else { "" }
        ));
    }
}

/// `goal bulk`: how many changed, and why the others did not.
impl Render for BulkResult {
    fn render(&self, p: &mut Printer) {
        p.line(format!(
            "Updated {} Goal(s), {} failed",
            self.updated, self.failed
        ));
        for item in self.results.iter().filter(|i| !i.ok) {
            let why = item.error.as_ref().map_or("", |e| e.message.as_str());
            p.line(format!("  {}: {why}", item.id));
        }
    }
}

/// `goal eligible`: what may start, then what waits and why.
impl Render for Eligibility {
    fn render(&self, p: &mut Printer) {
        if self.paused {
            p.line("Automation is paused: nothing starts by itself.");
        }
        let start = self.eligible.iter().map(|g| {
            vec![
                Cell::from(format!("#{}", g.number)),
                Cell::from(g.priority),
                Cell::from(&g.title),
                state("may start"),
            ]
        });
        let wait = self.blocked.iter().map(|g| {
            vec![
                Cell::from(format!("#{}", g.number)),
                Cell::from(g.priority),
                Cell::from(&g.title),
                Cell::from(&g.reason),
            ]
        });
        p.table(
            &["#", "prio", "title", "start"],
            start.chain(wait).collect(),
        );
        let more = (self.eligible_total as usize - self.eligible.len())
            + (self.blocked_total as usize - self.blocked.len());
        if more > 0 {
            p.line(format!(
                "… and {more} more ({} may start, {} wait in all)",
                self.eligible_total, self.blocked_total
            ));
        }
    }
}

/// The running previews.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Previews(pub Vec<Preview>);

impl Render for Previews {
    fn render(&self, p: &mut Printer) {
        p.table(
            &["GOAL", "ROUND", "URL", "STATUS", "PROCESS"],
            self.0
                .iter()
                .map(|x| {
                    vec![
                        format!("#{}", x.goal_number).into(),
                        x.round.into(),
                        x.url.clone().into(),
                        state(&x.status),
                        x.process_id.clone().into(),
                    ]
                })
                .collect(),
        );
    }
}

/// `--candidates 3` or `--candidates default` (the app's setting).
fn candidates_arg(s: &str) -> std::result::Result<Option<u32>, String> {
    if s == "default" {
        return Ok(None);
    }
    s.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("{s:?} is not a number of candidates (1-5) or `default`"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::render::shown;
    use serde_json::json;

    pub(crate) fn goal() -> Goal {
        serde_json::from_value(json!({
            "id": "0190a1b2-0000-7000-8000-00000000000a", "appId": "0190a1b2-0000-7000-8000-000000000001",
            "number": 3, "title": "Fuzzy search", "prompt": "Search must tolerate typos", "notes": "",
            "status": "todo", "priority": -1, "reporterId": null, "reporterName": "Ada",
            "assignee": null, "featureId": "f1", "featureName": "Checkout", "position": 0,
            "nodeId": "n1", "labels": ["ui", "search"],
            "external": {"source": "github", "id": "42", "url": null},
            "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z", "deletedAt": null,
            "rounds": [{"number": 1, "request": "First attempt", "plan": null, "outcome": "declined",
                "evidence": [], "startedAt": "2026-01-01T00:00:00Z", "endedAt": null}]
        }))
        .expect("a Goal")
    }

    #[test]
    fn goals_render_from_their_typed_output() {
        let page = GoalPage {
            items: vec![goal()],
            next_cursor: Some("c2".into()),
            total: Some(7),
            total_is_lower_bound: false,
        };
        let list = shown(&page);
        let mut lines = list.lines();
        assert!(
            lines.next().unwrap().starts_with("#   STATUS  PRIO"),
            "{list}"
        );
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("#3  todo    -1    Fuzzy search  Checkout  ui,search  -"),
            "{list}"
        );
        assert!(
            list.contains("1 of 7 shown (--all for every page)")
                && list.contains("more: --cursor c2"),
            "{list}"
        );
        let one = shown(&goal());
        assert!(
            one.starts_with("#3 Fuzzy search  [todo]")
                && one.contains("feature:   Checkout (position 1)")
                && one.contains("labels:    ui, search")
                && one.contains("reporter:  Ada")
                && one.contains("from:      github 42")
                && one.contains("\nSearch must tolerate typos\n")
                && one.contains("  round 1: First attempt → declined"),
            "{one}"
        );
    }

    #[test]
    fn closed_sets_are_possible_values() {
        use clap::{CommandFactory, Parser};
        let parse = |args: &[&str]| crate::Cli::try_parse_from(args);
        assert!(parse(&[
            "refine",
            "goal",
            "list",
            "--status",
            "todo,review",
            "--sort",
            "newest"
        ])
        .is_ok());
        assert!(parse(&["refine", "goal", "move", "2", "governance"]).is_ok());
        for bad in [
            &["refine", "goal", "list", "--status", "todo,nope"][..],
            &["refine", "goal", "list", "--sort", "size"],
            &["refine", "goal", "move", "2", "shipped"],
            &["refine", "goal", "export", "--format", "xml"],
        ] {
            let e = parse(bad).expect_err("refused");
            assert_eq!(e.kind(), clap::error::ErrorKind::InvalidValue, "{bad:?}");
            assert_eq!(e.exit_code(), 2);
        }
        for bad in [
            &["refine", "goal", "list", "--limit", "0"][..],
            &["refine", "ops", "list", "--limit", "501"],
            &["refine", "goal", "list", "--all", "--cursor", "c2"],
        ] {
            assert_eq!(parse(bad).expect_err("refused").exit_code(), 2, "{bad:?}");
        }
        let mut out = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut crate::Cli::command(),
            "refine",
            &mut out,
        );
        let bash = String::from_utf8(out).unwrap();
        assert!(
            bash.contains(
                "backlog todo plan implement quality governance review done failed cancelled"
            ),
            "completions offer the states"
        );
        let cli = crate::Cli::command();
        let list = cli
            .find_subcommand("goal")
            .and_then(|g| g.find_subcommand("list"))
            .unwrap();
        let sort = list.get_arguments().find(|a| a.get_id() == "sort").unwrap();
        let mut keys: Vec<String> = sort
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            ["newest", "number", "oldest", "priority", "title", "updated"]
        );
    }

    #[test]
    fn transitions_bulk_results_and_eligibility_render() {
        let t = TransitionResult {
            from: WorkflowState::Failed,
            to: WorkflowState::Todo,
            new_round: true,
            goal: goal(),
        };
        assert_eq!(shown(&t), "Goal #3: failed → todo (new round)\n");
        let bulk: BulkResult = serde_json::from_value(json!({
            "updated": 1, "failed": 1, "results": [
                {"id": "3", "ok": true, "error": null, "goal": null},
                {"id": "9", "ok": false, "error": {"code": "not_found", "message": "no Goal 9"}, "goal": null}
            ]
        }))
        .unwrap();
        assert_eq!(
            shown(&bulk),
            "Updated 1 Goal(s), 1 failed\n  9: no Goal 9\n"
        );
        let e: Eligibility = serde_json::from_value(json!({
            "eligible": [{"goalId": "a", "number": 1, "title": "Coupon field", "priority": 2}],
            "blocked": [{"goalId": "b", "number": 2, "title": "Coupon API", "priority": 0,
                "reason": "waiting for #1 “Coupon field”"}],
            "paused": true, "eligibleTotal": 1, "blockedTotal": 31
        }))
        .unwrap();
        let text = shown(&e);
        assert!(
            text.starts_with("Automation is paused")
                && text.contains("#1  2     Coupon field  may start")
                && text.contains("#2  0     Coupon API    waiting for #1 “Coupon field”")
                && text.ends_with("… and 30 more (1 may start, 31 wait in all)\n"),
            "{text}"
        );
    }
}
