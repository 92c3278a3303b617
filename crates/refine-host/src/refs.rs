//! Reads of refs and commits in-process through gix, without a `git` process: the commit a
//! revision names, whether a branch exists, ancestry, the commits one revision has that another
//! lacks. A Goal makes several of these lookups at each step, and each `git` process costs
//! milliseconds. Every function answers `None` when gix cannot answer (a repository it cannot
//! open or read, a name it refuses): callers then ask the `git` CLI, which stays the authority.
//!
//! The repository is opened isolated (no global or system configuration, no environment
//! overrides): these reads depend on refs and objects only. A repository whose refs are not
//! stored as files (`extensions.refStorage`, e.g. reftable) is left to git: gix would find no
//! refs there and answer wrongly rather than not at all.

use std::path::Path;

fn open(dir: &Path) -> Option<gix::Repository> {
    let repo = gix::open_opts(dir, gix::open::Options::isolated()).ok()?;
    let storage = repo.config_snapshot().string("extensions.refStorage");
    if storage.is_some_and(|s| !s.eq_ignore_ascii_case(b"files")) {
        return None;
    }
    if !repo.common_dir().join("refs").join("heads").is_dir() {
        return None;
    }
    Some(repo)
}

fn commit_id(repo: &gix::Repository, rev: &str) -> Option<gix::ObjectId> {
    let id = repo
        .rev_parse_single(format!("{rev}^{{commit}}").as_str())
        .ok()?;
    Some(id.detach())
}

/// The full sha of the commit `rev` names (`None`: gix could not resolve it).
pub fn commit(dir: &Path, rev: &str) -> Option<String> {
    commit_id(&open(dir)?, rev).map(|id| id.to_string())
}

/// Whether the ref `name` (`refs/heads/…`) exists.
pub fn exists(dir: &Path, name: &str) -> Option<bool> {
    let repo = open(dir)?;
    repo.try_find_reference(name).ok().map(|r| r.is_some())
}

/// Whether the commit `a` names is an ancestor of (or the same as) the one `b` names.
pub fn is_ancestor(dir: &Path, a: &str, b: &str) -> Option<bool> {
    let repo = open(dir)?;
    let (a, b) = (commit_id(&repo, a)?, commit_id(&repo, b)?);
    if a == b {
        return Some(true);
    }
    // `a` is an ancestor of `b` exactly when it is their (only) best common ancestor.
    match repo.merge_base(a, b) {
        Ok(base) => Some(base.is_some_and(|m| m.detach() == a)),
        Err(_) => None,
    }
}

/// The commits `head` has that `base` lacks, newest first (`git rev-list base..head`).
pub fn between(dir: &Path, base: &str, head: &str) -> Option<Vec<String>> {
    let repo = open(dir)?;
    let (base, head) = (commit_id(&repo, base)?, commit_id(&repo, head)?);
    let walk = repo
        .rev_walk([head])
        .with_hidden([base])
        .sorting(gix::revision::walk::Sorting::ByCommitTime(
            Default::default(),
        ))
        .all()
        .ok()?;
    walk.map(|info| info.ok().map(|i| i.id.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// `git -C dir` as a test author, with `env` (commit dates).
    fn git_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
        let o = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=T",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}: {o:?}");
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    }

    fn git(dir: &Path, args: &[&str]) -> String {
        git_env(dir, args, &[])
    }

    fn commit_file(dir: &Path, name: &str, at: &str) -> String {
        std::fs::write(dir.join(name), name).unwrap();
        git(dir, &["add", name]);
        git_env(
            dir,
            &["commit", "-qm", name],
            &[("GIT_COMMITTER_DATE", at), ("GIT_AUTHOR_DATE", at)],
        );
        git(dir, &["rev-parse", "HEAD"])
    }

    /// Every answer is git's own, on loose and packed refs, in a linked worktree too; what gix
    /// cannot resolve is left to git (`None`).
    #[test]
    fn answers_agree_with_git() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("r");
        std::fs::create_dir(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        let c1 = commit_file(&repo, "a", "2026-01-01T00:00:00Z");
        let c2 = commit_file(&repo, "b", "2026-01-02T00:00:00Z");
        git(&repo, &["branch", "side", &c1]);
        let wt = tmp.path().join("wt");
        git(
            &repo,
            &["worktree", "add", "-q", wt.to_str().unwrap(), "side"],
        );
        let s1 = commit_file(&wt, "c", "2026-01-03T00:00:00Z");
        let s2 = commit_file(&wt, "d", "2026-01-04T00:00:00Z");

        for dir in [&repo, &wt] {
            assert_eq!(commit(dir, "refs/heads/main").as_deref(), Some(c2.as_str()));
            assert_eq!(commit(dir, "refs/heads/side").as_deref(), Some(s2.as_str()));
            assert_eq!(commit(dir, "main~1").as_deref(), Some(c1.as_str()));
            assert_eq!(commit(dir, &c1[..12]).as_deref(), Some(c1.as_str()));
            assert_eq!(commit(dir, "refs/heads/nope"), None);
            assert_eq!(exists(dir, "refs/heads/side"), Some(true));
            assert_eq!(exists(dir, "refs/heads/nope"), Some(false));
            assert_eq!(is_ancestor(dir, &c1, &c2), Some(true));
            assert_eq!(is_ancestor(dir, &c2, &c2), Some(true));
            assert_eq!(is_ancestor(dir, &c2, &c1), Some(false));
            assert_eq!(is_ancestor(dir, &c2, &s2), Some(false), "siblings");
            assert_eq!(is_ancestor(dir, &c1, &s2), Some(true));
            assert_eq!(
                between(dir, &c1, "refs/heads/side"),
                Some(vec![s2.clone(), s1.clone()]),
                "newest first"
            );
            assert_eq!(between(dir, &s2, &c1), Some(vec![]));
        }
        assert_eq!(commit(&wt, "HEAD").as_deref(), Some(s2.as_str()));

        // Packed refs read the same.
        git(&repo, &["pack-refs", "--all"]);
        assert_eq!(
            commit(&repo, "refs/heads/side").as_deref(),
            Some(s2.as_str())
        );
        assert_eq!(exists(&repo, "refs/heads/main"), Some(true));
        assert_eq!(exists(&repo, "refs/heads/nope"), Some(false));

        // Not a repository: nothing answered (git is asked and says so).
        assert_eq!(commit(tmp.path(), "HEAD"), None);
        assert_eq!(exists(tmp.path(), "refs/heads/main"), None);

        // Refs stored some other way (reftable) are left to git, not reported missing.
        git(&repo, &["config", "extensions.refStorage", "reftable"]);
        assert_eq!(exists(&repo, "refs/heads/main"), None);
        assert_eq!(commit(&repo, "refs/heads/main"), None);
    }
}
