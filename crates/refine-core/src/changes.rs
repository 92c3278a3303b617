//! changes: Git status, diffs, log, refs, stage/unstage, commit, revert and churn of an app.

use crate::events::kind;
use refine_model::event::AppRef;
use std::path::PathBuf;

use refine_host::changes::{self as git, DiffSpec, LogFilter};
use refine_host::git::GitError;
use refine_model::ApiError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::cache::DiffKey;
use crate::{wire, Change, Core, Ctx, Mutated};
use std::sync::Arc;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangesInput {
    #[serde(default)]
    pub app_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusFile {
    pub path: String,
    pub orig_path: Option<String>,
    /// Porcelain code of the index side (`M`, `A`, `D`, `R`, `?` …, or space).
    pub index: String,
    /// Porcelain code of the working-tree side.
    pub worktree: String,
    pub staged: bool,
    pub unstaged: bool,
    pub untracked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangesStatus {
    pub branch: Option<String>,
    pub head: Option<String>,
    pub files: Vec<StatusFile>,
    pub staged: u32,
    pub unstaged: u32,
    pub untracked: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DiffScope {
    /// Working tree against the index, plus untracked files.
    Unstaged,
    /// Index against HEAD.
    Staged,
    /// Working tree against HEAD, plus untracked files (default).
    All,
}

/// What to diff: a scope of the working tree, or two revisions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiffInput {
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub scope: Option<DiffScope>,
    /// Compare two revisions instead (both needed): branch, tag, sha, `HEAD~1`.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// Only these repository-relative paths.
    #[serde(default)]
    pub paths: Option<Vec<String>>,
    /// Context lines (default 3, at most 50).
    #[serde(default)]
    pub context: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileDiff {
    pub path: String,
    pub old_path: Option<String>,
    /// added, deleted, modified, renamed, copied, type_changed
    pub status: String,
    pub binary: bool,
    pub additions: u32,
    pub deletions: u32,
    /// Unified diff of this file (empty for binary files).
    pub patch: String,
    /// The patch was too large to send.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Diff {
    pub files: Vec<FileDiff>,
    pub files_changed: u32,
    pub additions: u32,
    pub deletions: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// Branch, tag or sha (default HEAD).
    #[serde(default, rename = "ref")]
    pub rev: Option<String>,
    /// Only commits touching this path.
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    /// Words in the message (case-insensitive).
    #[serde(default)]
    pub grep: Option<String>,
    /// e.g. `2026-01-01` or `2 weeks ago`.
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    /// 1..=500, default 50.
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub skip: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Commit {
    pub sha: String,
    pub parents: Vec<String>,
    pub author: String,
    pub email: String,
    pub at: String,
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogPage {
    pub commits: Vec<Commit>,
    /// Pass as `skip` for the next page.
    pub next_skip: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BranchInfo {
    pub name: String,
    pub sha: String,
    pub remote: bool,
    pub current: bool,
    pub upstream: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorktreeInfo {
    pub path: String,
    pub head: Option<String>,
    pub branch: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Refs {
    pub branches: Vec<BranchInfo>,
    pub worktrees: Vec<WorktreeInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PathsInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommitInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub message: String,
    /// Stage every tracked change first (`git commit --all`).
    #[serde(default)]
    pub all: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevertInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// The commit to revert.
    pub sha: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChurnInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// 1..=365, default 30.
    #[serde(default)]
    pub days: Option<u32>,
    /// Most-changed files to list (default 10, at most 100).
    #[serde(default)]
    pub top: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayChurn {
    pub day: String,
    pub added: u32,
    pub removed: u32,
    pub commits: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileChurn {
    pub path: String,
    pub added: u32,
    pub removed: u32,
    pub commits: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Churn {
    /// Every day of the window, oldest first.
    pub days: Vec<DayChurn>,
    pub files: Vec<FileChurn>,
}

fn git_error(e: GitError) -> ApiError {
    match e {
        GitError::Missing => ApiError::unavailable("git is not installed"),
        GitError::Io(e) => {
            tracing::error!(error = %e, "git failed to run");
            ApiError::internal("git could not run")
        }
        GitError::Failed(m) => ApiError::conflict(format!("git refused: {}", first_line(&m))),
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .chars()
        .take(300)
        .collect()
}

fn check_rev(what: &str, r: &str) -> Result<(), ApiError> {
    if git::valid_rev(r) {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "{what} {r:?} is not a revision (branch, tag, sha, HEAD~n)"
        )))
    }
}

fn check_paths(paths: &[String]) -> Result<(), ApiError> {
    if paths.len() > 1000 {
        return Err(ApiError::invalid("at most 1,000 paths"));
    }
    for p in paths {
        if !git::valid_path(p) {
            return Err(ApiError::invalid(format!(
                "{p:?} is not a path inside the repository"
            )));
        }
    }
    Ok(())
}

fn convert<A: Serialize, B: serde::de::DeserializeOwned>(a: A) -> B {
    serde_json::from_value(serde_json::to_value(a).expect("serializes")).expect("same shape")
}

impl Core {
    async fn app_root(&self, ctx: &Ctx, app: Option<&str>) -> Result<(String, PathBuf), ApiError> {
        let a = self.resolve_app(ctx, app).await?;
        let root = PathBuf::from(&a.path);
        if !root.is_dir() {
            return Err(ApiError::precondition(format!(
                "the app's folder {} is gone",
                a.path
            )));
        }
        Ok((a.id, root))
    }

    async fn git<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|_| ApiError::internal("git task failed"))?
    }

    /// `changes.status`
    pub async fn changes_status(
        &self,
        ctx: &Ctx,
        i: ChangesInput,
    ) -> Result<ChangesStatus, ApiError> {
        let (_, root) = self.app_root(ctx, i.app_id.as_deref()).await?;
        self.git(move || {
            let entries = git::status(&root).map_err(git_error)?;
            let files: Vec<StatusFile> = entries
                .into_iter()
                .map(|e| StatusFile {
                    staged: e.index != ' ' && e.index != '?',
                    unstaged: e.worktree != ' ' && e.worktree != '?',
                    untracked: e.index == '?',
                    index: e.index.to_string(),
                    worktree: e.worktree.to_string(),
                    path: e.path,
                    orig_path: e.orig_path,
                })
                .collect();
            Ok(ChangesStatus {
                branch: refine_host::git::current_branch(&root),
                head: git::resolve(&root, "HEAD").ok(),
                staged: files.iter().filter(|f| f.staged).count() as u32,
                unstaged: files.iter().filter(|f| f.unstaged).count() as u32,
                untracked: files.iter().filter(|f| f.untracked).count() as u32,
                files,
            })
        })
        .await
    }

    /// `changes.diff`
    pub async fn changes_diff(&self, ctx: &Ctx, i: DiffInput) -> Result<Diff, ApiError> {
        let (_, root) = self.app_root(ctx, i.app_id.as_deref()).await?;
        let paths = i.paths.clone().unwrap_or_default();
        check_paths(&paths)?;
        for (w, r) in [("from", &i.from), ("to", &i.to)] {
            if let Some(r) = r {
                check_rev(w, r)?;
            }
        }
        if i.from.is_some() != i.to.is_some() {
            return Err(ApiError::invalid("give both from and to, or neither"));
        }
        if i.from.is_some() && i.scope.is_some() {
            return Err(ApiError::invalid(
                "scope goes with working-tree diffs, not with from/to",
            ));
        }
        let core = self.clone();
        self.git(move || {
            let context = i.context.unwrap_or(3);
            let spec = match (&i.from, &i.to) {
                (Some(a), Some(b)) => {
                    // Between two commits the answer never changes: it may come from the cache.
                    let key = DiffKey {
                        root: root.clone(),
                        from: git::resolve(&root, a)
                            .map_err(|e| ApiError::not_found(e.to_string()))?,
                        to: git::resolve(&root, b)
                            .map_err(|e| ApiError::not_found(e.to_string()))?,
                        paths,
                        context,
                    };
                    return core.commit_diff(key).map(Arc::unwrap_or_clone);
                }
                _ => match i.scope.unwrap_or(DiffScope::All) {
                    DiffScope::Unstaged => DiffSpec::Unstaged,
                    DiffScope::Staged => DiffSpec::Staged,
                    DiffScope::All => DiffSpec::All,
                },
            };
            diff_of(&root, &spec, &paths, context)
        })
        .await
    }

    /// The diff between two commits: from the cache, else computed and kept.
    pub(crate) fn commit_diff(&self, key: DiffKey) -> Result<Arc<Diff>, ApiError> {
        if let Some(d) = self.0.diffs.get(&key) {
            return Ok(d);
        }
        self.compute_commit_diff(key)
    }

    /// Compute the diff between two commits and keep it (`cache.rebuild` too).
    pub(crate) fn compute_commit_diff(&self, key: DiffKey) -> Result<Arc<Diff>, ApiError> {
        let spec = DiffSpec::Commits(key.from.clone(), key.to.clone());
        let d = Arc::new(diff_of(&key.root, &spec, &key.paths, key.context)?);
        self.0.diffs.put(key, d.clone());
        Ok(d)
    }

    /// `changes.log`
    pub async fn changes_log(&self, ctx: &Ctx, i: LogInput) -> Result<LogPage, ApiError> {
        let (_, root) = self.app_root(ctx, i.app_id.as_deref()).await?;
        let limit = crate::operations::page_limit(i.limit)?;
        if let Some(r) = &i.rev {
            check_rev("ref", r)?;
        }
        if let Some(p) = &i.path {
            check_paths(std::slice::from_ref(p))?;
        }
        for (w, v) in [
            ("author", &i.author),
            ("grep", &i.grep),
            ("since", &i.since),
            ("until", &i.until),
        ] {
            if let Some(v) = v {
                wire::text(w, v, 200, false)?;
            }
        }
        let skip = i.skip.unwrap_or(0);
        self.git(move || {
            let rev = i
                .rev
                .as_deref()
                .map(|r| git::resolve(&root, r).map_err(|e| ApiError::not_found(e.to_string())))
                .transpose()?;
            let mut entries = git::log(
                &root,
                &LogFilter {
                    rev,
                    path: i.path.clone(),
                    author: i.author.clone(),
                    grep: i.grep.clone(),
                    since: i.since.clone(),
                    until: i.until.clone(),
                    limit: limit + 1,
                    skip,
                },
            )
            .map_err(|e| match e {
                GitError::Failed(m) => {
                    ApiError::invalid(format!("git log refused the filters: {}", first_line(&m)))
                }
                other => git_error(other),
            })?;
            let more = entries.len() > limit as usize;
            entries.truncate(limit as usize);
            Ok(LogPage {
                next_skip: more.then_some(skip + limit),
                commits: convert(entries),
            })
        })
        .await
    }

    /// `changes.refs`
    pub async fn changes_refs(&self, ctx: &Ctx, i: ChangesInput) -> Result<Refs, ApiError> {
        let (_, root) = self.app_root(ctx, i.app_id.as_deref()).await?;
        self.git(move || {
            Ok(Refs {
                branches: convert(git::branches(&root).map_err(git_error)?),
                worktrees: convert(git::worktrees(&root).map_err(git_error)?),
            })
        })
        .await
    }

    /// A git write through the pipeline (activity, idempotency, event).
    async fn git_write<T, F>(
        &self,
        ctx: &Ctx,
        input: &impl Serialize,
        app: Option<&str>,
        summary: String,
        f: F,
    ) -> Result<Mutated<T>, ApiError>
    where
        T: Serialize + serde::de::DeserializeOwned + Clone + Send + 'static,
        F: FnOnce(PathBuf) -> Result<T, ApiError> + Send + 'static,
    {
        let (app_id, root) = self.app_root(ctx, app).await?;
        let core = self.clone();
        let prepare = async move { core.git(move || f(root)).await };
        self.mutate(ctx, input, prepare, move |_, value: T| {
            let change = Change::new(summary).app(Some(app_id.clone())).event(
                kind::CHANGES_UPDATED,
                &AppRef {
                    app_id: app_id.clone(),
                },
            );
            Ok((value, change))
        })
        .await
    }

    /// `changes.stage`
    pub async fn changes_stage(
        &self,
        ctx: &Ctx,
        i: PathsInput,
    ) -> Result<Mutated<ChangesStatus>, ApiError> {
        self.stage_paths(ctx, i, true).await
    }

    /// `changes.unstage`
    pub async fn changes_unstage(
        &self,
        ctx: &Ctx,
        i: PathsInput,
    ) -> Result<Mutated<ChangesStatus>, ApiError> {
        self.stage_paths(ctx, i, false).await
    }

    /// Stage or unstage paths, then answer with the new status.
    async fn stage_paths(
        &self,
        ctx: &Ctx,
        i: PathsInput,
        stage: bool,
    ) -> Result<Mutated<ChangesStatus>, ApiError> {
        check_paths(&i.paths)?;
        if i.paths.is_empty() {
            return Err(ApiError::invalid("name at least one path"));
        }
        let paths = i.paths.clone();
        let verb = if stage { "Staged" } else { "Unstaged" };
        let summary = format!("{verb} {}", i.paths.join(", "));
        let out = self
            .git_write(ctx, &i, i.app_id.as_deref(), summary, move |root| {
                if stage {
                    git::stage(&root, &paths)
                } else {
                    git::unstage(&root, &paths)
                }
                .map_err(git_error)
            })
            .await?;
        let status = self
            .changes_status(
                ctx,
                ChangesInput {
                    app_id: i.app_id.clone(),
                },
            )
            .await?;
        Ok(Mutated {
            value: status,
            status: 200,
            replayed: out.replayed,
        })
    }

    /// `changes.commit`
    pub async fn changes_commit(
        &self,
        ctx: &Ctx,
        i: CommitInput,
    ) -> Result<Mutated<Commit>, ApiError> {
        let msg = i.message.trim().to_string();
        if msg.is_empty() {
            return Err(ApiError::invalid("the commit message is empty"));
        }
        wire::text("message", &msg, 20_000, true)?;
        let all = i.all.unwrap_or(false);
        let summary = format!("Committed “{}”", msg.lines().next().unwrap_or(""));
        self.git_write(ctx, &i, i.app_id.as_deref(), summary, move |root| {
            if git::status(&root)
                .map_err(git_error)?
                .iter()
                .all(|e| e.index == ' ' || e.index == '?')
                && !all
            {
                return Err(ApiError::precondition(
                    "nothing is staged; stage files first or commit with all",
                ));
            }
            let sha = git::commit(&root, &msg, all, None).map_err(|e| match e {
                GitError::Failed(m)
                    if m.contains("user.email") || m.contains("Author identity") =>
                {
                    ApiError::precondition(
                        "git does not know who you are: set user.name and user.email (git config)",
                    )
                }
                other => git_error(other),
            })?;
            let entry = git::log(
                &root,
                &LogFilter {
                    rev: Some(sha),
                    limit: 1,
                    ..Default::default()
                },
            )
            .map_err(git_error)?;
            entry
                .into_iter()
                .next()
                .map(convert)
                .ok_or_else(|| ApiError::internal("the new commit is missing"))
        })
        .await
    }

    /// `changes.revert`
    pub async fn changes_revert(
        &self,
        ctx: &Ctx,
        i: RevertInput,
    ) -> Result<Mutated<Commit>, ApiError> {
        check_rev("sha", &i.sha)?;
        let sha = i.sha.clone();
        let summary = format!(
            "Reverted commit {}",
            &i.sha.chars().take(12).collect::<String>()
        );
        self.git_write(ctx, &i, i.app_id.as_deref(), summary, move |root| {
            let full = git::resolve(&root, &sha).map_err(|e| ApiError::not_found(e.to_string()))?;
            let new = git::revert(&root, &full, None).map_err(|e| match e {
                GitError::Failed(m) => ApiError::conflict(format!(
                    "the revert does not apply cleanly; nothing changed ({})",
                    first_line(&m)
                )),
                other => git_error(other),
            })?;
            let entry = git::log(
                &root,
                &LogFilter {
                    rev: Some(new),
                    limit: 1,
                    ..Default::default()
                },
            )
            .map_err(git_error)?;
            entry
                .into_iter()
                .next()
                .map(convert)
                .ok_or_else(|| ApiError::internal("the revert commit is missing"))
        })
        .await
    }

    /// `changes.churn`
    pub async fn changes_churn(&self, ctx: &Ctx, i: ChurnInput) -> Result<Churn, ApiError> {
        let (_, root) = self.app_root(ctx, i.app_id.as_deref()).await?;
        let days = i.days.unwrap_or(30);
        if !(1..=365).contains(&days) {
            return Err(ApiError::invalid("days must be between 1 and 365"));
        }
        let top = i.top.unwrap_or(10).min(100) as usize;
        let window: Vec<String> = {
            let today = time::OffsetDateTime::now_utc().date();
            (0..days as i64)
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
        };
        let since = format!("{}T00:00:00Z", window[0]);
        self.git(move || {
            let (per_day, mut files) = git::churn(&root, &since, 20_000).map_err(git_error)?;
            files.truncate(top);
            Ok(Churn {
                days: window
                    .into_iter()
                    .map(|d| match per_day.iter().find(|x| x.day == d) {
                        Some(x) => DayChurn {
                            day: d,
                            added: x.added,
                            removed: x.removed,
                            commits: x.commits,
                        },
                        None => DayChurn {
                            day: d,
                            added: 0,
                            removed: 0,
                            commits: 0,
                        },
                    })
                    .collect(),
                files: convert(files),
            })
        })
        .await
    }
}

fn diff_of(
    root: &std::path::Path,
    spec: &DiffSpec,
    paths: &[String],
    context: u32,
) -> Result<Diff, ApiError> {
    let files = git::diff(root, spec, paths, context).map_err(git_error)?;
    let files: Vec<FileDiff> = convert(files);
    Ok(Diff {
        files_changed: files.len() as u32,
        additions: files.iter().map(|f| f.additions).sum(),
        deletions: files.iter().map(|f| f.deletions).sum(),
        files,
    })
}
