//! `refine review`: comments on a Goal's candidate, and "request changes" that sends them to the
//! agent.

use clap::Subcommand;
use refine_api::ops::{review, runner, workflow};
use refine_client::CliError;
use refine_core::bestof::PickInput;
use refine_core::review::{
    AddCommentInput, CommentIdInput, ListCommentsInput, RequestChangesInput, ResolveCommentInput,
    UpdateCommentInput,
};
use refine_core::runner::{GoalWorkInput, RoundDetail};
use refine_core::work::GoalIdInput;
use refine_core::workflow::GoalActionInput;
use refine_model::agents::CandidateStatus;
use refine_model::review::{CommentSide, CommentState, CommentStatus, ReviewComment};

use super::{wire_enum, Commands, Run};
use crate::render::{toned, Cell, Printer, Render, Tone};
use crate::Result;

#[derive(Subcommand, Debug)]
pub enum ReviewCmd {
    /// A Goal's review comments: drafts, sent and resolved, with what the newest candidate did
    /// to the lines each was made on.
    Comments {
        goal: String,
        /// Only the comments made on this Round's candidate.
        #[arg(long)]
        round: Option<u32>,
    },
    /// Comment on the candidate of a Goal in review: `src/app.py:40-44 "text"` (lines of the
    /// diff), `src/app.py "text"` (the file) or just `"text"` (the whole candidate).
    Comment {
        goal: String,
        /// `PATH:LINE`, `PATH:FIRST-LAST` or `PATH`, then the text; or only the text.
        #[arg(num_args = 1..=2, required = true, value_names = ["WHERE", "TEXT"])]
        args: Vec<String>,
        /// Which side of the diff the lines number: `new` (default) or `old` (removed lines).
        #[arg(long, value_parser = wire_enum::<CommentSide>())]
        side: Option<CommentSide>,
    },
    /// Change a draft comment's text.
    Edit { id: u32, text: String },
    /// Delete a draft comment.
    #[command(alias = "rm", alias = "remove")]
    Delete { id: u32 },
    /// Resolve a sent comment (--reopen: mark it unresolved again).
    Resolve {
        id: u32,
        #[arg(long)]
        reopen: bool,
    },
    /// Send the draft comments to the agent: the Goal opens its next Round on the candidate.
    RequestChanges {
        goal: String,
        /// A message sent with the comments.
        #[arg(long, short)]
        message: Option<String>,
    },
    /// Best-of-N: a Goal's candidates side by side (diff size, checks, verdict, tokens, cost,
    /// time, branch).
    Candidates { goal: String },
    /// Best-of-N: pick the candidate to integrate (it becomes the Round's candidate).
    Pick {
        goal: String,
        /// The candidate's number (1-based), as `refine review candidates` lists them.
        candidate: u32,
        /// Approve it right away (integrates the picked candidate).
        #[arg(long)]
        approve: bool,
    },
    /// Best-of-N: remove the worktrees and branches of the candidates nobody picked.
    Cleanup { goal: String },
}

pub const COMMANDS: Commands = &[
    ("comments", &[review::COMMENTS_LIST.name]),
    ("comment", &[review::COMMENTS_ADD.name]),
    ("edit", &[review::COMMENTS_UPDATE.name]),
    ("delete", &[review::COMMENTS_DELETE.name]),
    ("resolve", &[review::COMMENTS_RESOLVE.name]),
    ("request-changes", &[review::REQUEST_CHANGES.name]),
    ("candidates", &[runner::ROUNDS.name]),
    ("pick", &[review::PICK.name, workflow::APPROVE.name]),
    ("cleanup", &[review::CLEANUP_CANDIDATES.name]),
];

/// `src/app.py:40-44` → (path, 40, 44); `src/app.py:40` → (path, 40, 40); `src/app.py` → (path).
fn location(s: &str) -> Result<(String, Option<u32>, Option<u32>)> {
    let bad = || {
        CliError::Usage(format!(
            "{s:?} is not PATH, PATH:LINE or PATH:FIRST-LAST (e.g. src/app.py:40-44)"
        ))
    };
    let Some((path, lines)) = s.rsplit_once(':') else {
        return Ok((s.to_string(), None, None));
    };
    if path.is_empty() {
        return Err(bad());
    }
    let (a, b) = lines.split_once('-').unwrap_or((lines, lines));
    match (a.parse::<u32>(), b.parse::<u32>()) {
        (Ok(a), Ok(b)) => Ok((path.to_string(), Some(a), Some(b))),
        _ => Err(bad()),
    }
}

fn comment_input(
    goal: &str,
    args: &[String],
    side: Option<CommentSide>,
) -> Result<AddCommentInput> {
    let (place, body) = match args {
        [body] => (None, body.clone()),
        [place, body] => (Some(location(place)?), body.clone()),
        _ => return Err(CliError::Usage("give the text of the comment".into())),
    };
    if place.is_none() && side.is_some() {
        return Err(CliError::Usage(
            "--side needs lines: PATH:LINE or PATH:FIRST-LAST".into(),
        ));
    }
    let (path, start_line, end_line) = match place {
        Some((p, a, b)) => (Some(p), a, b),
        None => (None, None, None),
    };
    Ok(AddCommentInput {
        goal_id: goal.to_string(),
        path,
        side,
        start_line,
        end_line,
        body,
    })
}

pub async fn run(r: &Run<'_>, cmd: &ReviewCmd) -> Result {
    let c = r.c;
    match cmd {
        ReviewCmd::Comments { goal, round } => {
            let input = ListCommentsInput {
                goal_id: goal.clone(),
                round: *round,
            };
            r.out
                .show(&Comments(c.run(review::COMMENTS_LIST, &input).await?))
        }
        ReviewCmd::Comment { goal, args, side } => {
            let input = comment_input(goal, args, *side)?;
            let made = c.run(review::COMMENTS_ADD, &input).await?;
            r.out.done(&made, |m| {
                format!(
                    "Comment {} on {} (a draft: `refine review request-changes {}` sends it)",
                    m.id,
                    m.location(),
                    goal
                )
            })
        }
        ReviewCmd::Edit { id, text } => {
            let input = UpdateCommentInput {
                id: *id,
                body: text.clone(),
            };
            let m = c.run(review::COMMENTS_UPDATE, &input).await?;
            r.out
                .done(&m, |m| format!("Comment {} now reads: {}", m.id, m.body))
        }
        ReviewCmd::Delete { id } => {
            let m = c
                .run(review::COMMENTS_DELETE, &CommentIdInput { id: *id })
                .await?;
            r.out.done(&m, |m| {
                format!("Deleted comment {} on {}", m.id, m.location())
            })
        }
        ReviewCmd::Resolve { id, reopen } => {
            let input = ResolveCommentInput {
                id: *id,
                resolved: Some(!reopen),
            };
            let m = c.run(review::COMMENTS_RESOLVE, &input).await?;
            r.out.done(&m, |m| {
                let did = if *reopen { "Reopened" } else { "Resolved" };
                format!("{did} comment {} on {}", m.id, m.location())
            })
        }
        ReviewCmd::RequestChanges { goal, message } => {
            let input = RequestChangesInput {
                goal_id: goal.clone(),
                message: message.clone(),
            };
            let moved = c.run(review::REQUEST_CHANGES, &input).await?;
            r.out.done(&moved, |t| {
                let round = t.goal.rounds.iter().max_by_key(|r| r.number);
                format!(
                    "Goal #{} {} → {}: Round {} asks the agent:\n{}",
                    t.goal.number,
                    crate::render::wire(&t.from),
                    crate::render::wire(&t.to),
                    round.map(|r| r.number).unwrap_or(1),
                    round.map(|r| r.request.as_str()).unwrap_or("")
                )
            })
        }
        ReviewCmd::Candidates { goal } => {
            let g = c
                .run(
                    refine_api::ops::goals::GET,
                    &GoalIdInput { id: goal.clone() },
                )
                .await?;
            let rounds = c
                .run(runner::ROUNDS, &GoalWorkInput { goal_id: g.id })
                .await?;
            r.out.show(&Candidates(rounds))
        }
        ReviewCmd::Pick {
            goal,
            candidate,
            approve,
        } => {
            let input = PickInput {
                goal_id: goal.clone(),
                candidate: *candidate,
            };
            let picked = c.run(review::PICK, &input).await?;
            if !approve {
                return r.out.done(&picked, |p| {
                    format!(
                        "Picked candidate {} of Goal {goal} (round {}): {} at {}; `refine goal approve {goal}` integrates it",
                        p.candidate,
                        p.round,
                        p.branch,
                        &p.commit[..p.commit.len().min(10)]
                    )
                });
            }
            let input = GoalActionInput {
                goal_id: goal.clone(),
                reason: Some(format!("picked candidate {candidate}")),
            };
            r.out.show(&c.run(workflow::APPROVE, &input).await?)
        }
        ReviewCmd::Cleanup { goal } => {
            let input = GoalIdInput { id: goal.clone() };
            let gone = c.run(review::CLEANUP_CANDIDATES, &input).await?;
            r.out.done(&gone, |g| {
                format!(
                    "Removed {} candidate(s) of Goal {goal}: branches {}",
                    g.removed.len(),
                    g.branches.join(", ")
                )
            })
        }
    }
}

/// Every Round's best-of-N candidates, one table per Round.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Candidates(pub Vec<RoundDetail>);

impl Render for Candidates {
    fn render(&self, p: &mut Printer) {
        let mut any = false;
        for d in self
            .0
            .iter()
            .rev()
            .filter(|d| !d.work.candidates.is_empty())
        {
            any = true;
            p.line(format!(
                "Round {} · {} candidates{}",
                d.number,
                d.work.candidates.len(),
                d.work
                    .picked
                    .map(|k| format!(" · picked {k}"))
                    .unwrap_or_default()
            ));
            let rows = d
                .work
                .candidates
                .iter()
                .map(|c| {
                    let (status, tone) = match c.status {
                        CandidateStatus::Running => ("running", Tone::Busy),
                        CandidateStatus::Passed => ("passed", Tone::Good),
                        CandidateStatus::Failed => ("failed", Tone::Bad),
                    };
                    let mark = if d.work.picked == Some(c.index) {
                        "*"
                    } else {
                        ""
                    };
                    let checks = c.quality.iter().filter(|q| q.passed).count();
                    vec![
                        Cell::from(format!("{mark}{}", c.index)),
                        Cell::from(&c.profile),
                        toned(status, tone),
                        Cell::from(format!(
                            "{} files +{} -{}",
                            c.files_changed, c.insertions, c.deletions
                        )),
                        Cell::from(format!("{checks}/{}", c.quality.len())),
                        Cell::from(match &c.governance {
                            Some(v) if v.passed => "pass",
                            Some(_) => "fail",
                            None => "-",
                        }),
                        Cell::from(c.usage.input_tokens + c.usage.output_tokens),
                        Cell::from(
                            c.usage
                                .cost_usd
                                .map(|x| format!("${x:.2}"))
                                .unwrap_or_else(|| "-".into()),
                        ),
                        Cell::from(format!("{:.1}s", c.duration_ms as f64 / 1000.0)),
                        Cell::from(if c.removed_at.is_some() {
                            format!("{} (removed)", c.branch)
                        } else {
                            c.branch.clone()
                        }),
                    ]
                })
                .collect();
            p.table(
                &[
                    "#", "profile", "status", "diff", "checks", "verdict", "tokens", "cost",
                    "time", "branch",
                ],
                rows,
            );
            for c in d.work.candidates.iter().filter(|c| c.failure.is_some()) {
                p.toned(
                    format!("  c{}: {}", c.index, c.failure.as_deref().unwrap_or("")),
                    Tone::Dim,
                );
            }
        }
        if !any {
            p.toned("(no best-of-N candidates: each Round made one)", Tone::Dim);
        }
    }
}

/// A Goal's comments, one block each.
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct Comments(pub Vec<ReviewComment>);

fn status_cell(m: &ReviewComment) -> Cell {
    let (text, tone) = match (m.status, m.state) {
        (CommentStatus::Draft, _) => ("draft".to_string(), Tone::Wait),
        (CommentStatus::Resolved, _) => ("resolved".to_string(), Tone::Good),
        (CommentStatus::Sent, Some(CommentState::Addressed)) => {
            ("sent · addressed".to_string(), Tone::Good)
        }
        (CommentStatus::Sent, Some(CommentState::Outdated)) => {
            ("sent · outdated".to_string(), Tone::Dim)
        }
        (CommentStatus::Sent, Some(CommentState::Untouched)) => {
            ("sent · untouched".to_string(), Tone::Bad)
        }
        (CommentStatus::Sent, None) => ("sent".to_string(), Tone::Plain),
    };
    toned(text, tone)
}

impl Render for Comments {
    fn render(&self, p: &mut Printer) {
        if self.0.is_empty() {
            p.toned("(no comments)", Tone::Dim);
        }
        for m in &self.0 {
            let status = status_cell(m);
            let head = format!(
                "{:>4}  {}  Round {}  {}  [{}]",
                m.id,
                m.location(),
                m.round,
                m.author,
                status.text
            );
            p.toned(head, status.tone);
            if let Some(q) = &m.quote {
                for l in q.lines().take(6) {
                    p.toned(format!("      > {l}"), Tone::Dim);
                }
            }
            for l in m.body.lines() {
                p.line(format!("      {l}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_read_like_compilers_print_them() {
        assert_eq!(
            location("src/app.py:40-44").unwrap(),
            ("src/app.py".into(), Some(40), Some(44))
        );
        assert_eq!(
            location("src/app.py:7").unwrap(),
            ("src/app.py".into(), Some(7), Some(7))
        );
        assert_eq!(
            location("README.md").unwrap(),
            ("README.md".into(), None, None)
        );
        assert!(location("src/app.py:x").is_err());
        assert!(location(":4").is_err());
    }

    #[test]
    fn one_argument_is_a_comment_on_the_whole_candidate() {
        let i = comment_input("12", &["looks off".into()], None).unwrap();
        assert_eq!(
            (i.path, i.start_line, i.body.as_str()),
            (None, None, "looks off")
        );
        let i = comment_input(
            "12",
            &["a.py:3-4".into(), "why?".into()],
            Some(CommentSide::Old),
        )
        .unwrap();
        assert_eq!(i.path.as_deref(), Some("a.py"));
        assert_eq!((i.start_line, i.end_line), (Some(3), Some(4)));
        assert!(comment_input("12", &["x".into()], Some(CommentSide::New)).is_err());
    }
}
