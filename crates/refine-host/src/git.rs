//! Git through the `git` CLI: argv arrays only, no shell, a clean environment for config lookups.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git is not installed or not on PATH")]
    Missing,
    #[error("{0}")]
    Failed(String),
    #[error("could not run git: {0}")]
    Io(std::io::Error),
}

fn git(dir: &Path, args: &[&str]) -> Result<Output, GitError> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        // Paths are paths: `x*.txt` names one file and `:(exclude)…` is a file name.
        .env("GIT_LITERAL_PATHSPECS", "1")
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                GitError::Missing
            } else {
                GitError::Io(e)
            }
        })
}

fn git_ok(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = git(dir, args)?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(GitError::Failed(err));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .trim_end_matches('\n')
        .to_string())
}

/// The top of the work tree containing `dir`, or an error saying why it is not one.
pub fn work_tree_root(dir: &Path) -> Result<PathBuf, GitError> {
    let inside = git(dir, &["rev-parse", "--is-inside-work-tree"])?;
    if !inside.status.success() || String::from_utf8_lossy(&inside.stdout).trim() != "true" {
        return Err(GitError::Failed(format!(
            "{} is not inside a Git work tree (run `git init` there first)",
            dir.display()
        )));
    }
    Ok(PathBuf::from(git_ok(
        dir,
        &["rev-parse", "--show-toplevel"],
    )?))
}

/// The default branch: origin's HEAD if known, else the checked-out branch.
pub fn default_branch(root: &Path) -> Option<String> {
    if let Ok(r) = git_ok(
        root,
        &[
            "symbolic-ref",
            "--quiet",
            "--short",
            "refs/remotes/origin/HEAD",
        ],
    ) {
        if let Some(b) = r.strip_prefix("origin/") {
            return Some(b.to_string());
        }
    }
    git_ok(root, &["symbolic-ref", "--quiet", "--short", "HEAD"]).ok()
}

/// The checked-out branch, or `None` when HEAD is detached.
pub fn current_branch(root: &Path) -> Option<String> {
    git_ok(root, &["symbolic-ref", "--quiet", "--short", "HEAD"]).ok()
}

/// The HEAD commit, if the repository has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    pub sha: String,
    pub subject: String,
    pub author: String,
    pub at: String,
}

pub fn head_commit(root: &Path) -> Result<Option<Commit>, GitError> {
    let out = git(
        root,
        &[
            "log",
            "-1",
            "--format=%H%x00%s%x00%an%x00%aI",
            "--end-of-options",
            "HEAD",
        ],
    )?;
    if !out.status.success() {
        // A repository without commits has no HEAD yet.
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.trim_end().split('\0');
    let mut next = || parts.next().unwrap_or_default().to_string();
    Ok(Some(Commit {
        sha: next(),
        subject: next(),
        author: next(),
        at: next(),
    }))
}

/// Number of paths with changes (staged, unstaged or untracked).
pub fn changed_files(root: &Path) -> Result<u32, GitError> {
    let out = git(
        root,
        &["status", "--porcelain=v1", "-z", "--untracked-files=all"],
    )?;
    if !out.status.success() {
        return Err(GitError::Failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    // Entries are NUL-terminated; a rename carries its old path as an extra NUL field.
    let mut count = 0u32;
    let mut fields = out.stdout.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let Some(f) = fields.next() {
        count += 1;
        if f.first() == Some(&b'R') || f.first() == Some(&b'C') {
            fields.next();
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let ok = Command::new("git")
                .arg("-C")
                .arg(d.path())
                .args(args)
                .output()
                .unwrap();
            assert!(
                ok.status.success(),
                "{:?}",
                String::from_utf8_lossy(&ok.stderr)
            );
        };
        run(&["init", "-q", "-b", "main"]);
        run(&["config", "user.email", "t@example.com"]);
        run(&["config", "user.name", "T"]);
        d
    }

    #[test]
    fn empty_repo_has_no_head_and_counts_changes() {
        let d = repo();
        assert_eq!(head_commit(d.path()).unwrap(), None);
        assert_eq!(current_branch(d.path()).as_deref(), Some("main"));
        std::fs::write(d.path().join("a.txt"), "a").unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/b.txt"), "b").unwrap();
        assert_eq!(changed_files(d.path()).unwrap(), 2);
        let sub = d.path().join("sub");
        assert_eq!(
            work_tree_root(&sub).unwrap().canonicalize().unwrap(),
            d.path().canonicalize().unwrap()
        );
    }

    #[test]
    fn not_a_repo_is_a_clear_error() {
        let d = tempfile::tempdir().unwrap();
        let e = work_tree_root(d.path()).unwrap_err().to_string();
        assert!(e.contains("not inside a Git work tree"), "{e}");
    }
}
