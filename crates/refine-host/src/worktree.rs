//! Goal worktrees and integration through the `git` CLI: a worktree per Round on its own branch
//! from a recorded base, the candidate commit, a merge prepared without touching anyone's
//! working tree (`git merge-tree --write-tree`), and moving the target branch on approval.
//! Every step is idempotent: re-running it reuses what an earlier attempt produced.

use std::path::Path;

use crate::changes::{git_raw, resolve, worktrees};
use crate::git::GitError;

/// `git worktree add/remove/prune` on one repository must not overlap (git's worktree metadata
/// is not safe for concurrent writers: best-of-N candidates add theirs at once).
static WORKTREE_METADATA: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn metadata_lock() -> std::sync::MutexGuard<'static, ()> {
    WORKTREE_METADATA.lock().unwrap_or_else(|p| p.into_inner())
}

/// Refine's identity on the commits it makes.
pub const AUTHOR: (&str, &str) = ("Refine", "refine@localhost");

struct Out {
    ok: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn git(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Out, GitError> {
    let name = format!("user.name={}", AUTHOR.0);
    let email = format!("user.email={}", AUTHOR.1);
    let o = git_raw(
        dir,
        &[&name, &email, "core.quotepath=off", "commit.gpgsign=false"],
        args,
        stdin,
    )?;
    Ok(Out {
        ok: o.ok,
        code: o.code,
        stdout: String::from_utf8_lossy(&o.stdout).to_string(),
        stderr: o.stderr,
    })
}

fn ok(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let o = git(dir, args, None)?;
    if !o.ok {
        return Err(GitError::Failed(o.stderr));
    }
    Ok(o.stdout.trim_end().to_string())
}

/// Whether a local branch exists.
pub fn branch_exists(repo: &Path, branch: &str) -> Result<bool, GitError> {
    if let Some(known) = crate::refs::exists(repo, &format!("refs/heads/{branch}")) {
        return Ok(known);
    }
    let o = git(
        repo,
        &[
            "show-ref",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ],
        None,
    )?;
    Ok(o.ok)
}

/// The branch checked out in the linked worktree at `path`, read from its `.git` file and the
/// HEAD it points to (`None` when `path` is not a linked worktree or HEAD is detached).
fn checked_out_branch(path: &Path) -> Option<String> {
    let link = std::fs::read_to_string(path.join(".git")).ok()?;
    let gitdir = link.strip_prefix("gitdir:")?.trim();
    let gitdir = Path::new(gitdir);
    if !gitdir.join("commondir").exists() {
        return None;
    }
    let head = std::fs::read_to_string(gitdir.join("HEAD")).ok()?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_string)
}

/// A worktree at `path` on `branch`, created from `base` unless it (or the branch) exists.
pub fn ensure_worktree(repo: &Path, path: &Path, branch: &str, base: &str) -> Result<(), GitError> {
    // Never the repository itself, nor any directory with a repository of its own: those are
    // not Refine's to replace.
    let is_repo = path.join(".git").is_dir();
    let is_root = matches!((path.canonicalize(), repo.canonicalize()), (Ok(a), Ok(b)) if a == b);
    if is_repo || is_root {
        return Err(GitError::Failed(format!(
            "refusing to use {} as a worktree: it is a repository's own checkout",
            path.display()
        )));
    }
    let wanted = path.to_string_lossy().to_string();
    if checked_out_branch(path).as_deref() == Some(branch) {
        return Ok(()); // the common case, read from files: no git process
    }
    let _serial = metadata_lock();
    if path.exists() {
        let _ = ok(repo, &["worktree", "prune"]);
    }
    // (Listed only when something is at the path: a new Round's worktree skips the lookup.)
    if let Some(list) = path.exists().then(|| worktrees(repo).ok()).flatten() {
        let canon = path.canonicalize().ok();
        if list.iter().any(|w| {
            w.branch.as_deref() == Some(branch)
                && (w.path == wanted
                    || canon.as_deref() == Some(Path::new(&w.path))
                    || Path::new(&w.path).canonicalize().ok() == canon)
        }) && path.join(".git").exists()
        {
            return Ok(());
        }
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(GitError::Io)?;
    }
    if path.exists() {
        // A leftover directory that is no longer a worktree: start it afresh.
        std::fs::remove_dir_all(path).map_err(GitError::Io)?;
        let _ = ok(repo, &["worktree", "prune"]);
    }
    if branch_exists(repo, branch)? {
        ok(repo, &["worktree", "add", "--quiet", &wanted, branch])?;
    } else {
        ok(
            repo,
            &[
                "worktree",
                "add",
                "--quiet",
                "-b",
                branch,
                &wanted,
                "--end-of-options",
                base,
            ],
        )?;
    }
    Ok(())
}

/// The branch the repository's own (main) checkout has checked out (`None`: detached).
pub fn current_branch(repo: &Path) -> Result<Option<String>, GitError> {
    let o = git(repo, &["symbolic-ref", "--quiet", "--short", "HEAD"], None)?;
    Ok(o.ok.then(|| o.stdout.trim().to_string()))
}

/// Paths with changes not committed in the checkout at `dir` (tracked or untracked; ignored
/// files aside).
pub fn uncommitted(dir: &Path) -> Result<usize, GitError> {
    let status = ok(dir, &["status", "--porcelain", "--untracked-files=all"])?;
    Ok(status.lines().filter(|l| !l.trim().is_empty()).count())
}

/// "No worktree" mode: the repository's main checkout on `branch` (made from `base` when new).
/// Refused while the checkout has changes of its own (tracked or untracked; ignored files
/// aside), so nobody's uncommitted work is swept into a candidate. Already on `branch`: left as
/// it is (a resumed Round keeps what its agent did).
pub fn checkout_in_place(repo: &Path, branch: &str, base: &str) -> Result<(), GitError> {
    if current_branch(repo)?.as_deref() == Some(branch) {
        return Ok(());
    }
    let n = uncommitted(repo)?;
    if n > 0 {
        return Err(GitError::Failed(format!(
            "the app's checkout has {n} uncommitted change(s); commit or stash them so a Goal can run in it"
        )));
    }
    if branch_exists(repo, branch)? {
        ok(repo, &["checkout", "--quiet", branch, "--"])?;
    } else {
        ok(repo, &["checkout", "--quiet", "-b", branch, base, "--"])?;
    }
    Ok(())
}

/// "No worktree" mode, after the Goal: the main checkout back on `branch` (the target).
pub fn return_to(repo: &Path, branch: &str) -> Result<(), GitError> {
    if current_branch(repo)?.as_deref() == Some(branch) {
        return Ok(());
    }
    ok(repo, &["checkout", "--quiet", branch, "--"]).map(|_| ())
}

/// Commit everything in the worktree (new, changed, deleted files). `None` when nothing changed.
pub fn commit_all(worktree: &Path, message: &str) -> Result<Option<String>, GitError> {
    ok(worktree, &["add", "--all"])?;
    let o = git(
        worktree,
        &["commit", "--quiet", "--no-verify", "-F", "-"],
        Some(message.as_bytes()),
    )?;
    if !o.ok {
        // `git commit` exits 1 with nothing staged; anything else is a failure.
        if o.stdout.contains("nothing to commit") || o.stdout.contains("nothing added") {
            return Ok(None);
        }
        return Err(GitError::Failed(if o.stderr.is_empty() {
            o.stdout
        } else {
            o.stderr
        }));
    }
    resolve(worktree, "HEAD").map(Some)
}

/// The commits on `head` that `base` does not have, newest first.
pub fn commits_between(dir: &Path, base: &str, head: &str) -> Result<Vec<String>, GitError> {
    if let Some(commits) = crate::refs::between(dir, base, head) {
        return Ok(commits);
    }
    let out = ok(
        dir,
        &["rev-list", "--end-of-options", &format!("{base}..{head}")],
    )?;
    Ok(out.lines().map(str::to_string).collect())
}

/// Whether `a` is an ancestor of (or the same as) `b`.
pub fn is_ancestor(dir: &Path, a: &str, b: &str) -> Result<bool, GitError> {
    if let Some(known) = crate::refs::is_ancestor(dir, a, b) {
        return Ok(known);
    }
    let o = git(
        dir,
        &["merge-base", "--is-ancestor", "--end-of-options", a, b],
        None,
    )?;
    match o.code {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        _ => Err(GitError::Failed(o.stderr)),
    }
}

/// A merge of `candidate` into `target_commit`, computed without a working tree.
#[derive(Debug, Clone, PartialEq)]
pub struct MergePlan {
    pub target_commit: String,
    /// The merge commit (not on any branch yet); `None` when it conflicts.
    pub merge_commit: Option<String>,
    pub conflicts: Vec<String>,
}

/// Prepare the merge of `candidate` into the current tip of `target_branch`.
pub fn prepare_merge(
    repo: &Path,
    target_branch: &str,
    candidate: &str,
    message: &str,
) -> Result<MergePlan, GitError> {
    let target_commit = resolve(repo, &format!("refs/heads/{target_branch}"))?;
    if is_ancestor(repo, candidate, &target_commit)? {
        // Already in: nothing to merge.
        return Ok(MergePlan {
            target_commit: target_commit.clone(),
            merge_commit: Some(target_commit),
            conflicts: Vec::new(),
        });
    }
    let o = git(
        repo,
        &[
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--no-messages",
            "--end-of-options",
            &target_commit,
            candidate,
        ],
        None,
    )?;
    let mut lines = o.stdout.lines();
    let tree = lines.next().unwrap_or_default().trim().to_string();
    match o.code {
        Some(0) => {
            let c = git(
                repo,
                &[
                    "commit-tree",
                    &tree,
                    "-p",
                    &target_commit,
                    "-p",
                    candidate,
                    "-F",
                    "-",
                ],
                Some(message.as_bytes()),
            )?;
            if !c.ok {
                return Err(GitError::Failed(c.stderr));
            }
            Ok(MergePlan {
                target_commit,
                merge_commit: Some(c.stdout.trim().to_string()),
                conflicts: Vec::new(),
            })
        }
        Some(1) => {
            let mut conflicts: Vec<String> = lines
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            conflicts.dedup();
            Ok(MergePlan {
                target_commit,
                merge_commit: None,
                conflicts,
            })
        }
        _ => Err(GitError::Failed(o.stderr)),
    }
}

/// Why the target branch could not be moved.
#[derive(Debug, thiserror::Error)]
pub enum AdvanceError {
    #[error("{0} moved since the merge was prepared")]
    Moved(String),
    #[error(
        "the checkout of {branch} at {path} has uncommitted changes; commit or stash them first"
    )]
    Dirty { branch: String, path: String },
    #[error(transparent)]
    Git(#[from] GitError),
}

/// Move `branch` from `expected` to `to` (a descendant). When the branch is checked out in a
/// worktree, that checkout must be clean and is fast-forwarded; otherwise only the ref moves.
pub fn advance_branch(
    repo: &Path,
    branch: &str,
    expected: &str,
    to: &str,
) -> Result<(), AdvanceError> {
    let current = resolve(repo, &format!("refs/heads/{branch}"))?;
    if current == to {
        return Ok(());
    }
    if current != expected {
        return Err(AdvanceError::Moved(branch.to_string()));
    }
    let checkout = worktrees(repo)?
        .into_iter()
        .find(|w| w.branch.as_deref() == Some(branch));
    match checkout {
        Some(w) => {
            let path = Path::new(&w.path);
            let dirty = ok(path, &["status", "--porcelain", "--untracked-files=no"])?;
            if !dirty.trim().is_empty() {
                return Err(AdvanceError::Dirty {
                    branch: branch.to_string(),
                    path: w.path.clone(),
                });
            }
            ok(
                path,
                &["merge", "--ff-only", "--quiet", "--end-of-options", to],
            )?;
        }
        None => {
            ok(
                repo,
                &["update-ref", &format!("refs/heads/{branch}"), to, expected],
            )?;
        }
    }
    Ok(())
}

/// The unified diff of `base..head` (for the governance gate), cut at `limit` bytes.
pub fn diff_text(dir: &Path, base: &str, head: &str, limit: usize) -> Result<String, GitError> {
    let mut out = ok(
        dir,
        &[
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--find-renames",
            "--end-of-options",
            &format!("{base}..{head}"),
        ],
    )?;
    if out.len() > limit {
        let mut cut = limit;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n… (diff cut here)\n");
    }
    Ok(out)
}

/// Files changed, lines inserted and lines deleted by `base..head` (binary files count as
/// changed, with no lines).
pub fn diff_stat(dir: &Path, base: &str, head: &str) -> Result<(u32, u32, u32), GitError> {
    let out = ok(
        dir,
        &[
            "diff",
            "--numstat",
            "--no-ext-diff",
            "--find-renames",
            "--end-of-options",
            &format!("{base}..{head}"),
        ],
    )?;
    let (mut files, mut ins, mut del) = (0u32, 0u32, 0u32);
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split('\t');
        let a = parts
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0);
        let d = parts
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0);
        files += 1;
        ins = ins.saturating_add(a);
        del = del.saturating_add(d);
    }
    Ok((files, ins, del))
}

/// Delete a local branch (a removed best-of-N candidate's); a missing one is not an error.
pub fn delete_branch(repo: &Path, branch: &str) -> Result<(), GitError> {
    if !branch_exists(repo, branch)? {
        return Ok(());
    }
    // A worktree directory deleted by hand still holds its branch until pruned.
    let _serial = metadata_lock();
    let _ = ok(repo, &["worktree", "prune"]);
    ok(repo, &["branch", "-D", "--end-of-options", branch]).map(|_| ())
}

/// Remove a worktree directory (keeps the branch). Idempotent: a worktree someone else removed
/// first (the Goal's teardown racing a candidate cleanup) is not an error, and a leftover
/// directory git no longer knows as a worktree is deleted (never one with a repository of its own).
pub fn remove_worktree(repo: &Path, path: &Path) -> Result<(), GitError> {
    let _serial = metadata_lock();
    if !path.exists() {
        let _ = ok(repo, &["worktree", "prune"]);
        return Ok(());
    }
    match ok(
        repo,
        &["worktree", "remove", "--force", &path.to_string_lossy()],
    ) {
        Ok(_) => Ok(()),
        Err(GitError::Failed(e)) if e.contains("is not a working tree") => {
            if path.join(".git").is_dir() {
                return Err(GitError::Failed(e));
            }
            std::fs::remove_dir_all(path).or_else(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Ok(()),
                _ => Err(GitError::Io(e)),
            })?;
            let _ = ok(repo, &["worktree", "prune"]);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, args: &[&str]) -> String {
        ok(dir, args).unwrap()
    }

    fn repo() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        sh(r, &["init", "-q", "-b", "main"]);
        std::fs::write(r.join("a.txt"), "one\n").unwrap();
        sh(r, &["add", "."]);
        sh(r, &["commit", "-qm", "init"]);
        t
    }

    #[test]
    fn removing_a_worktree_twice_or_a_leftover_directory_is_fine() {
        let t = repo();
        let root = t.path();
        let base = sh(root, &["rev-parse", "HEAD"]);
        let dir = tempfile::tempdir().unwrap();
        let wt = dir.path().join("1-r1-c2");
        ensure_worktree(root, &wt, "refine/1/round-1-c2", &base).unwrap();
        assert!(wt.join("a.txt").exists());
        remove_worktree(root, &wt).unwrap();
        assert!(!wt.exists());
        remove_worktree(root, &wt).unwrap(); // already gone
                                             // A directory git does not know (a half-removed worktree) is deleted too.
        std::fs::create_dir_all(wt.join("sub")).unwrap();
        std::fs::write(wt.join("sub/x"), "x").unwrap();
        remove_worktree(root, &wt).unwrap();
        assert!(!wt.exists());
        // ... but never a repository of its own.
        let other = dir.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        sh(&other, &["init", "-q"]);
        assert!(remove_worktree(root, &other).is_err());
        assert!(other.join(".git").is_dir());
    }

    #[test]
    fn a_repository_is_never_made_a_worktree() {
        let t = repo();
        let root = t.path();
        let base = sh(root, &["rev-parse", "HEAD"]);
        let e = ensure_worktree(root, root, "refine/1/round-1", &base).unwrap_err();
        assert!(e.to_string().contains("refusing"), "{e}");
        assert!(
            root.join(".git").is_dir() && root.join("a.txt").exists(),
            "left alone"
        );
    }

    #[test]
    fn the_main_checkout_moves_to_a_goal_branch_only_when_clean() {
        let t = repo();
        let repo = t.path().to_path_buf();
        let base = sh(&repo, &["rev-parse", "HEAD"]);
        std::fs::write(repo.join("mine.txt"), "uncommitted\n").unwrap();
        let refused = checkout_in_place(&repo, "refine/1/round-1", &base).unwrap_err();
        assert!(refused.to_string().contains("uncommitted"), "{refused}");
        assert_eq!(current_branch(&repo).unwrap().as_deref(), Some("main"));
        std::fs::remove_file(repo.join("mine.txt")).unwrap();
        checkout_in_place(&repo, "refine/1/round-1", &base).unwrap();
        assert_eq!(
            current_branch(&repo).unwrap().as_deref(),
            Some("refine/1/round-1")
        );
        // Resumed with the agent's edits in it: left as it is.
        std::fs::write(repo.join("a.txt"), "edited\n").unwrap();
        checkout_in_place(&repo, "refine/1/round-1", &base).unwrap();
        assert_eq!(
            std::fs::read_to_string(repo.join("a.txt")).unwrap(),
            "edited\n"
        );
    }

    #[test]
    fn worktree_commit_merge_and_advance() {
        let t = repo();
        let r = t.path();
        let base = resolve(r, "HEAD").unwrap();
        let wt = t.path().join("wt/goal-1");
        ensure_worktree(r, &wt, "refine/1/round-1", &base).unwrap();
        ensure_worktree(r, &wt, "refine/1/round-1", &base).unwrap(); // idempotent
        assert_eq!(commit_all(&wt, "nothing").unwrap(), None);
        std::fs::write(wt.join("b.txt"), "two\n").unwrap();
        let cand = commit_all(&wt, "add b").unwrap().unwrap();
        assert_eq!(
            commits_between(r, &base, &cand).unwrap(),
            std::slice::from_ref(&cand)
        );
        // The target moves on meanwhile; the merge still prepares cleanly.
        std::fs::write(r.join("c.txt"), "three\n").unwrap();
        sh(r, &["add", "."]);
        sh(r, &["commit", "-qm", "c"]);
        let plan = prepare_merge(r, "main", &cand, "Merge goal 1").unwrap();
        let merge = plan.merge_commit.clone().unwrap();
        assert!(plan.conflicts.is_empty());
        assert_eq!(
            resolve(r, "main").unwrap(),
            plan.target_commit,
            "preparing moves nothing"
        );
        advance_branch(r, "main", &plan.target_commit, &merge).unwrap();
        assert_eq!(resolve(r, "main").unwrap(), merge);
        assert!(r.join("b.txt").exists(), "the checkout was fast-forwarded");
        advance_branch(r, "main", &plan.target_commit, &merge).unwrap(); // idempotent
    }

    #[test]
    fn conflicts_are_reported_and_dirty_checkouts_refused() {
        let t = repo();
        let r = t.path();
        let base = resolve(r, "HEAD").unwrap();
        let wt = t.path().join("wt/goal-2");
        ensure_worktree(r, &wt, "refine/2/round-1", &base).unwrap();
        std::fs::write(wt.join("a.txt"), "theirs\n").unwrap();
        let cand = commit_all(&wt, "change a").unwrap().unwrap();
        std::fs::write(r.join("a.txt"), "ours\n").unwrap();
        sh(r, &["commit", "-qam", "ours"]);
        let plan = prepare_merge(r, "main", &cand, "m").unwrap();
        assert_eq!(plan.merge_commit, None);
        assert_eq!(plan.conflicts, ["a.txt"]);

        std::fs::write(wt.join("a.txt"), "ours\n").unwrap();
        let cand2 = commit_all(&wt, "agree").unwrap().unwrap();
        let plan = prepare_merge(r, "main", &cand2, "m").unwrap();
        let merge = plan.merge_commit.unwrap();
        std::fs::write(r.join("a.txt"), "local edit\n").unwrap();
        let e = advance_branch(r, "main", &plan.target_commit, &merge).unwrap_err();
        assert!(matches!(e, AdvanceError::Dirty { .. }), "{e}");
        assert_eq!(
            std::fs::read_to_string(r.join("a.txt")).unwrap(),
            "local edit\n"
        );
    }
}
