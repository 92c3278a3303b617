//! publish: push a Goal's candidate branch to the app's remote and, when `gh` (GitHub) or `glab`
//! (GitLab) is installed and signed in, open a pull/merge request with the Goal's title, prompt
//! and the Round's evidence; the result is stored with the Round. Merging locally on approve
//! stays the default; publishing is an extra a person asks for.

use std::path::{Path, PathBuf};
use std::process::Command;

use refine_model::agents::{Publication, RoundWork};
use refine_model::work::Goal;
use refine_model::workflow::WorkflowState;
use refine_model::ApiError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::events::kind;
use crate::{clock, Change, Core, Ctx, Mutated};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublishInput {
    pub goal_id: String,
    /// The remote to push to (default `origin`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub remote: Option<String>,
    /// Open a pull/merge request when `gh`/`glab` is signed in (default true).
    #[serde(default)]
    pub request: Option<bool>,
}

/// Which request tool fits a remote URL: `gh` for GitHub, `glab` for GitLab.
pub fn tool_for(remote_url: &str) -> Option<&'static str> {
    let u = remote_url.to_ascii_lowercase();
    if u.contains("github") {
        Some("gh")
    } else if u.contains("gitlab") {
        Some("glab")
    } else {
        None
    }
}

/// The argv that opens the request (never a shell string).
pub fn request_argv(tool: &str, branch: &str, base: &str, title: &str, body: &str) -> Vec<String> {
    let v: Vec<&str> = match tool {
        "gh" => vec![
            "gh", "pr", "create", "--head", branch, "--base", base, "--title", title, "--body",
            body,
        ],
        _ => vec![
            "glab",
            "mr",
            "create",
            "--source-branch",
            branch,
            "--target-branch",
            base,
            "--title",
            title,
            "--description",
            body,
            "--yes",
        ],
    };
    v.into_iter().map(str::to_string).collect()
}

/// The request's body: the prompt, then the Round's evidence.
pub fn request_body(goal: &Goal, round: u32, work: &RoundWork) -> String {
    let mut b = format!(
        "{}\n\n---\n**Refine Goal #{} · Round {round}**\n\n",
        goal.prompt.trim(),
        goal.number
    );
    if let Some(c) = &work.candidate_commit {
        b.push_str(&format!("- Candidate: `{c}`\n"));
    }
    if !work.quality.is_empty() {
        let passed = work.quality.iter().filter(|q| q.passed).count();
        b.push_str(&format!(
            "- Quality: {passed}/{} checks passed\n",
            work.quality.len()
        ));
        for q in &work.quality {
            b.push_str(&format!(
                "  - {} {} (`{}`)\n",
                if q.passed { "✅" } else { "❌" },
                q.test,
                q.command
            ));
        }
    }
    if let Some(g) = &work.governance {
        b.push_str(&format!(
            "- Governance: {}{}\n",
            if g.passed { "passed" } else { "refused" },
            if g.rules.is_empty() {
                String::new()
            } else {
                format!(" (rules {})", g.rules.join(", "))
            }
        ));
    }
    b
}

/// `gh`/`glab`: its version when installed, and whether `auth status` says it is signed in.
pub fn forge_status(tool: &str) -> (Option<String>, bool) {
    let Ok(v) = Command::new(tool).arg("--version").output() else {
        return (None, false);
    };
    if !v.status.success() {
        return (None, false);
    }
    let version = String::from_utf8_lossy(&v.stdout)
        .lines()
        .next()
        .unwrap_or(tool)
        .trim()
        .to_string();
    let signed = Command::new(tool)
        .args(["auth", "status"])
        .output()
        .is_ok_and(|o| o.status.success());
    (Some(version), signed)
}

/// Installed and signed in: `gh auth status` / `glab auth status` exit 0.
fn signed_in(tool: &str, dir: &Path) -> Result<(), String> {
    match Command::new(tool)
        .args(["auth", "status"])
        .current_dir(dir)
        .output()
    {
        Err(_) => Err(format!(
            "{tool} is not installed; the branch is pushed, open the request yourself"
        )),
        Ok(o) if !o.status.success() => Err(format!(
            "{tool} is not signed in ({tool} auth login); the branch is pushed"
        )),
        Ok(_) => Ok(()),
    }
}

/// A remote URL without the credentials it may carry (`https://user:token@host/…`).
pub fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Nothing the daemon runs for publishing may wait on a terminal for a password or host key.
fn batch(cmd: &mut Command) -> &mut Command {
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        .env("GH_PROMPT_DISABLED", "1")
        .env("NO_PROMPT", "1")
        .stdin(std::process::Stdio::null())
}

pub(crate) fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let o = batch(Command::new("git").arg("-C").arg(dir).args(args))
        .output()
        .map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

impl Core {
    /// `goals.publish`
    pub async fn goals_publish(
        &self,
        ctx: &Ctx,
        i: PublishInput,
    ) -> Result<Mutated<Publication>, ApiError> {
        let remote = i.remote.clone().unwrap_or_else(|| "origin".into());
        if remote.is_empty()
            || remote.starts_with('-')
            || !remote
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
        {
            return Err(ApiError::invalid(format!(
                "{remote:?} is not a remote name"
            )));
        }
        let goal = self
            .goals_get(
                ctx,
                crate::work::GoalIdInput {
                    id: i.goal_id.clone(),
                },
            )
            .await?;
        if !matches!(goal.status, WorkflowState::Review | WorkflowState::Done) {
            return Err(ApiError::conflict(format!(
                "Goal #{} is in {}; a candidate is published from review (or after it is done)",
                goal.number,
                goal.status.as_str()
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
        let (Some(branch), Some(commit)) = (work.branch.clone(), work.candidate_commit.clone())
        else {
            return Err(ApiError::conflict(format!(
                "Goal #{} has no candidate to publish",
                goal.number
            )));
        };
        let app = self
            .apps_get(crate::apps::AppIdInput {
                id: goal.app_id.clone(),
            })
            .await?;
        let root = PathBuf::from(&app.path);
        let base = app.default_branch.clone().unwrap_or_else(|| "main".into());
        let want_request = i.request.unwrap_or(true);
        let title = goal.title.clone();
        let body = request_body(&goal, round, &work);
        let (r2, b2, c2) = (remote.clone(), branch.clone(), commit.clone());
        let pushed = self
            .blocking(move |_| {
                let url = git(&root, &["remote", "get-url", "--", &r2]).map_err(|_| {
                    ApiError::precondition(format!(
                        "the app has no remote {r2:?}; add one (git remote add {r2} URL)"
                    ))
                })?;
                // The branch at the candidate, whatever the local branch holds now.
                git(
                    &root,
                    &["push", "--quiet", &r2, &format!("{c2}:refs/heads/{b2}")],
                )
                .map_err(|e| ApiError::unavailable(format!("git push to {r2} failed: {e}")))?;
                let mut p = Publication {
                    remote: r2,
                    branch: b2.clone(),
                    commit: c2,
                    pushed_at: clock::now(),
                    tool: None,
                    request_url: None,
                    note: None,
                };
                if !want_request {
                    p.note = Some("pushed only (no request asked for)".into());
                    return Ok(p);
                }
                let Some(tool) = tool_for(&url) else {
                    p.note = Some(format!(
                        "{url} is neither GitHub nor GitLab; the branch is pushed"
                    ));
                    return Ok(p);
                };
                if let Err(why) = signed_in(tool, &root) {
                    p.note = Some(why);
                    return Ok(p);
                }
                p.tool = Some(tool.to_string());
                let argv = request_argv(tool, &b2, &base, &title, &body);
                match Command::new(&argv[0])
                    .args(&argv[1..])
                    .current_dir(&root)
                    .output()
                {
                    Ok(o) if o.status.success() => {
                        let out = String::from_utf8_lossy(&o.stdout).to_string();
                        p.request_url = out
                            .lines()
                            .rev()
                            .find(|l| l.trim().starts_with("http"))
                            .map(|l| l.trim().to_string());
                    }
                    Ok(o) => {
                        p.note = Some(format!(
                            "{tool} could not open the request: {}",
                            String::from_utf8_lossy(&o.stderr).trim()
                        ))
                    }
                    Err(e) => p.note = Some(format!("{tool} could not run: {e}")),
                }
                Ok(p)
            })
            .await?;
        let (gid, number) = (goal.id.clone(), goal.number);
        self.mutate(ctx, &i, async { Ok(pushed) }, move |tx, p: Publication| {
            let mut w = refine_store::agents::round_work(tx, &gid, round)?;
            w.publication = Some(p.clone());
            refine_store::agents::set_round_work(tx, &gid, round, &w)?;
            if let Some(url) = &p.request_url {
                // The request is evidence of the Goal's Round (shown with the Goal everywhere).
                let label = match p.tool.as_deref() {
                    Some("glab") => "Merge request",
                    _ => "Pull request",
                };
                refine_store::goals::add_evidence(
                    tx,
                    &gid,
                    round,
                    &refine_model::work::EvidenceLink {
                        kind: "pull-request".into(),
                        label: format!("{label} {url}"),
                        href: url.clone(),
                    },
                )?;
            }
            let summary = match &p.request_url {
                Some(u) => format!("Published #{number} to {} and opened {u}", p.remote),
                None => format!(
                    "Pushed #{number}'s candidate to {} as {}",
                    p.remote, p.branch
                ),
            };
            let change = Change::new(summary)
                .app(Some(goal.app_id.clone()))
                .target(gid.clone())
                .event(
                    kind::RUNNER_ROUND,
                    &refine_model::event::RoundChanged {
                        goal_id: gid.clone(),
                        round,
                        work: w,
                    },
                );
            Ok((p, change))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_argv_names_branch_base_title_and_body() {
        assert_eq!(
            request_argv("gh", "refine/12/round-2", "main", "Coupon field", "body"),
            [
                "gh",
                "pr",
                "create",
                "--head",
                "refine/12/round-2",
                "--base",
                "main",
                "--title",
                "Coupon field",
                "--body",
                "body"
            ]
        );
        let g = request_argv("glab", "b", "trunk", "T", "B");
        assert_eq!(&g[..3], ["glab", "mr", "create"]);
        assert!(g.windows(2).any(|w| w == ["--source-branch", "b"]));
        assert!(g.windows(2).any(|w| w == ["--target-branch", "trunk"]));
        assert!(g.windows(2).any(|w| w == ["--description", "B"]));
        // A title that looks like a flag stays one argument.
        let t = request_argv("gh", "b", "main", "--help; rm -rf /", "x");
        assert_eq!(t[8], "--help; rm -rf /");
    }

    #[test]
    fn credentials_never_leave_in_a_note() {
        assert_eq!(
            redact("https://oauth2:s3cret@git.example.com/x.git"),
            "https://git.example.com/x.git"
        );
        assert_eq!(redact("/srv/git/x.git"), "/srv/git/x.git");
        assert_eq!(redact("git@github.com:a/b.git"), "git@github.com:a/b.git");
    }

    #[test]
    fn the_tool_follows_the_remote() {
        assert_eq!(tool_for("git@github.com:acme/shop.git"), Some("gh"));
        assert_eq!(
            tool_for("https://gitlab.example.com/acme/shop.git"),
            Some("glab")
        );
        assert_eq!(tool_for("/srv/git/shop.git"), None);
    }
}
