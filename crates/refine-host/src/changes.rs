//! Git changes through the `git` CLI: status, diffs with stats, log, refs, stage/unstage,
//! commit, revert, churn. Refs are validated and always passed after `--end-of-options`;
//! paths after `--`.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::git::GitError;

/// Largest patch text kept per file (bytes); bigger files are marked truncated.
pub const MAX_FILE_PATCH: usize = 256 * 1024;
/// Largest total patch text of one diff answer.
pub const MAX_TOTAL_PATCH: usize = 8 * 1024 * 1024;

/// What one `git` run gave back.
pub(crate) struct GitOut {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Run `git -C root -c CONFIG… ARGS…` (argv only, no prompts, C locale), optionally feeding
/// `stdin`; the exit status is the caller's to judge.
pub(crate) fn git_raw(
    root: &Path,
    config: &[&str],
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Result<GitOut, GitError> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(root);
    for c in config {
        cmd.args(["-c", c]);
    }
    cmd.args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        // Paths are paths: `x*.txt` names one file and `:(exclude)…` is a file name.
        .env("GIT_LITERAL_PATHSPECS", "1")
        .env("LC_ALL", "C")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            GitError::Missing
        } else {
            GitError::Io(e)
        }
    })?;
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(data).map_err(GitError::Io)?;
    }
    let out = child.wait_with_output().map_err(GitError::Io)?;
    Ok(GitOut {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    })
}

fn run(root: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, GitError> {
    let out = git_raw(root, &["core.quotepath=off", "color.ui=false"], args, stdin)?;
    if !out.ok {
        return Err(GitError::Failed(out.stderr));
    }
    Ok(out.stdout)
}

fn text(root: &Path, args: &[&str]) -> Result<String, GitError> {
    Ok(String::from_utf8_lossy(&run(root, args, None)?).to_string())
}

/// How many lines `path` has at commit `sha` (`None`: the file is not in that commit).
pub fn line_count(root: &Path, sha: &str, path: &str) -> Result<Option<u32>, GitError> {
    let spec = format!("{sha}:{path}");
    let out = git_raw(
        root,
        &[],
        &["cat-file", "blob", "--end-of-options", &spec],
        None,
    )?;
    if !out.ok {
        return Ok(None);
    }
    let n = out.stdout.iter().filter(|b| **b == b'\n').count();
    let unterminated = out.stdout.last().is_some_and(|b| *b != b'\n');
    Ok(Some((n + usize::from(unterminated)) as u32))
}

/// A revision a person may name: branch, tag, sha, `HEAD~2`, `main^`. Never an option, a range
/// or a reflog expression.
pub fn valid_rev(rev: &str) -> bool {
    !rev.is_empty()
        && rev.len() <= 200
        && !rev.starts_with('-')
        && !rev.contains("..")
        && !rev.contains("@{")
        && !rev.ends_with('.')
        && !rev.ends_with(".lock")
        && rev
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/~^-".contains(c))
}

/// Resolve a revision to a full commit sha.
pub fn resolve(root: &Path, rev: &str) -> Result<String, GitError> {
    if !valid_rev(rev) {
        return Err(GitError::Failed(format!("{rev:?} is not a revision name")));
    }
    if let Some(sha) = crate::refs::commit(root, rev) {
        return Ok(sha);
    }
    let spec = format!("{rev}^{{commit}}");
    text(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )
    .map(|s| s.trim().to_string())
    .map_err(|_| GitError::Failed(format!("no commit named {rev:?}")))
}

/// A repository-relative path a person may name (no `..`, not absolute, no NUL).
pub fn valid_path(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= 4096
        && !p.starts_with('/')
        && !p.contains('\0')
        && !p.split('/').any(|c| c == ".." || c == ".git")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusEntry {
    pub path: String,
    pub orig_path: Option<String>,
    /// Porcelain XY codes.
    pub index: char,
    pub worktree: char,
}

/// `git status` entries (staged, unstaged, untracked).
pub fn status(root: &Path) -> Result<Vec<StatusEntry>, GitError> {
    let out = run(
        root,
        &["status", "--porcelain=v1", "-z", "--untracked-files=all"],
        None,
    )?;
    let mut fields = out.split(|b| *b == 0).filter(|f| !f.is_empty());
    let mut v = Vec::new();
    while let Some(f) = fields.next() {
        if f.len() < 4 {
            continue;
        }
        let (x, y) = (f[0] as char, f[1] as char);
        let path = String::from_utf8_lossy(&f[3..]).to_string();
        let orig = if x == 'R' || x == 'C' {
            fields
                .next()
                .map(|o| String::from_utf8_lossy(o).to_string())
        } else {
            None
        };
        v.push(StatusEntry {
            path,
            orig_path: orig,
            index: x,
            worktree: y,
        });
    }
    Ok(v)
}

/// What to compare.
#[derive(Debug, Clone, PartialEq)]
pub enum DiffSpec {
    /// Working tree against the index (unstaged changes) plus untracked files.
    Unstaged,
    /// Index against HEAD.
    Staged,
    /// Working tree against HEAD, plus untracked files.
    All,
    /// Two commits (resolved shas).
    Commits(String, String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDiff {
    pub path: String,
    pub old_path: Option<String>,
    /// added, deleted, modified, renamed, copied, type_changed
    pub status: String,
    pub binary: bool,
    pub additions: u32,
    pub deletions: u32,
    /// Unified diff text of this file (hunks only), empty for binary files.
    pub patch: String,
    pub truncated: bool,
}

fn has_head(root: &Path) -> bool {
    run(root, &["rev-parse", "--verify", "--quiet", "HEAD"], None).is_ok()
}

/// The empty tree, for diffs in a repository without commits.
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

fn base_args(spec: &DiffSpec, head: bool) -> Vec<String> {
    let base = if head {
        "HEAD".to_string()
    } else {
        EMPTY_TREE.to_string()
    };
    match spec {
        DiffSpec::Unstaged => vec![],
        DiffSpec::Staged => vec!["--cached".into(), "--end-of-options".into(), base],
        DiffSpec::All => vec!["--end-of-options".into(), base],
        DiffSpec::Commits(a, b) => vec!["--end-of-options".into(), a.clone(), b.clone()],
    }
}

/// Split `git diff` output into per-file chunks keyed by the new path.
fn split_patch(patch: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in patch.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            if let Some(c) = current.take() {
                out.push(c);
            }
            // "a/x b/x": the new path is after " b/".
            let name = rest
                .trim_end()
                .rsplit_once(" b/")
                .map(|(_, b)| b.to_string())
                .unwrap_or_default();
            current = Some((name, String::new()));
        }
        if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    if let Some(c) = current {
        out.push(c);
    }
    out
}

/// Diff with rename detection and per-file stats; `paths` limits it.
pub fn diff(
    root: &Path,
    spec: &DiffSpec,
    paths: &[String],
    context: u32,
) -> Result<Vec<FileDiff>, GitError> {
    let head = has_head(root);
    let mut stat_args: Vec<String> =
        vec!["diff".into(), "--numstat".into(), "-z".into(), "-M".into()];
    let mut name_args: Vec<String> = vec![
        "diff".into(),
        "--name-status".into(),
        "-z".into(),
        "-M".into(),
    ];
    let mut patch_args: Vec<String> = vec![
        "diff".into(),
        "-M".into(),
        format!("-U{}", context.min(50)),
        "--no-ext-diff".into(),
    ];
    for a in [&mut stat_args, &mut name_args, &mut patch_args] {
        a.extend(base_args(spec, head));
        a.push("--".into());
        a.extend(paths.iter().cloned());
    }
    fn as_refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let names = run(root, &as_refs(&name_args), None)?;
    let stats = run(root, &as_refs(&stat_args), None)?;
    let patch = text(root, &as_refs(&patch_args))?;

    let mut files: Vec<FileDiff> = Vec::new();
    let mut it = names.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let Some(code) = it.next() {
        let code = String::from_utf8_lossy(code).to_string();
        let kind = code.chars().next().unwrap_or('M');
        let (old, new) = if kind == 'R' || kind == 'C' {
            let o = it.next().map(|x| String::from_utf8_lossy(x).to_string());
            (
                o,
                it.next()
                    .map(|x| String::from_utf8_lossy(x).to_string())
                    .unwrap_or_default(),
            )
        } else {
            (
                None,
                it.next()
                    .map(|x| String::from_utf8_lossy(x).to_string())
                    .unwrap_or_default(),
            )
        };
        let status = match kind {
            'A' => "added",
            'D' => "deleted",
            'R' => "renamed",
            'C' => "copied",
            'T' => "type_changed",
            _ => "modified",
        };
        files.push(FileDiff {
            path: new,
            old_path: old,
            status: status.into(),
            binary: false,
            additions: 0,
            deletions: 0,
            patch: String::new(),
            truncated: false,
        });
    }
    // numstat -z: "add\tdel\tpath\0" or for renames "add\tdel\t\0old\0new\0".
    let mut it = stats.split(|b| *b == 0);
    while let Some(rec) = it.next() {
        if rec.is_empty() {
            continue;
        }
        let rec = String::from_utf8_lossy(rec).to_string();
        let mut parts = rec.splitn(3, '\t');
        let (a, d, p) = (
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        let path = if p.is_empty() {
            let _old = it.next();
            it.next()
                .map(|x| String::from_utf8_lossy(x).to_string())
                .unwrap_or_default()
        } else {
            p.to_string()
        };
        if let Some(f) = files.iter_mut().find(|f| f.path == path) {
            f.binary = a == "-" && d == "-";
            f.additions = a.parse().unwrap_or(0);
            f.deletions = d.parse().unwrap_or(0);
        }
    }
    let mut total = 0usize;
    let chunks: HashMap<String, String> = split_patch(&patch).into_iter().collect();
    for f in &mut files {
        if let Some(body) = chunks.get(&f.path) {
            if f.binary {
                continue;
            }
            if body.len() > MAX_FILE_PATCH || total + body.len() > MAX_TOTAL_PATCH {
                f.truncated = true;
            } else {
                total += body.len();
                f.patch = body.clone();
            }
        }
    }
    // Untracked files count as added in working-tree diffs.
    if matches!(spec, DiffSpec::Unstaged | DiffSpec::All) {
        let untracked = text(root, &["ls-files", "--others", "--exclude-standard", "-z"])?;
        for p in untracked.split('\0').filter(|p| !p.is_empty()).take(500) {
            if !paths.is_empty()
                && !paths
                    .iter()
                    .any(|x| p == x || p.starts_with(&format!("{x}/")))
            {
                continue;
            }
            let full = root.join(p);
            let data = std::fs::read(&full).unwrap_or_default();
            let binary =
                data.iter().take(8000).any(|b| *b == 0) || std::str::from_utf8(&data).is_err();
            let mut f = FileDiff {
                path: p.to_string(),
                old_path: None,
                status: "added".into(),
                binary,
                additions: 0,
                deletions: 0,
                patch: String::new(),
                truncated: false,
            };
            if !binary {
                let body = String::from_utf8_lossy(&data);
                let lines: Vec<&str> = body.lines().collect();
                f.additions = lines.len() as u32;
                let mut patch = format!("diff --git a/{p} b/{p}\nnew file\n--- /dev/null\n+++ b/{p}\n@@ -0,0 +1,{} @@\n", lines.len());
                for l in &lines {
                    patch.push('+');
                    patch.push_str(l);
                    patch.push('\n');
                }
                if patch.len() > MAX_FILE_PATCH || total + patch.len() > MAX_TOTAL_PATCH {
                    f.truncated = true;
                } else {
                    total += patch.len();
                    f.patch = patch;
                }
            }
            files.push(f);
        }
    }
    Ok(files)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub sha: String,
    pub parents: Vec<String>,
    pub author: String,
    pub email: String,
    pub at: String,
    pub subject: String,
}

/// Filters for the log.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// A resolved sha (default HEAD).
    pub rev: Option<String>,
    pub path: Option<String>,
    pub author: Option<String>,
    pub grep: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: u32,
    pub skip: u32,
}

pub fn log(root: &Path, f: &LogFilter) -> Result<Vec<LogEntry>, GitError> {
    if !has_head(root) && f.rev.is_none() {
        return Ok(Vec::new());
    }
    let mut args: Vec<String> = vec![
        "log".into(),
        "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e".into(),
        format!("--max-count={}", f.limit),
        format!("--skip={}", f.skip),
    ];
    if let Some(a) = &f.author {
        args.push(format!("--author={a}"));
    }
    if let Some(g) = &f.grep {
        args.push("--regexp-ignore-case".into());
        args.push(format!("--grep={g}"));
    }
    if let Some(s) = &f.since {
        args.push(format!("--since={s}"));
    }
    if let Some(u) = &f.until {
        args.push(format!("--until={u}"));
    }
    args.push("--end-of-options".into());
    args.push(f.rev.clone().unwrap_or_else(|| "HEAD".into()));
    args.push("--".into());
    if let Some(p) = &f.path {
        args.push(p.clone());
    }
    let out = text(root, &args.iter().map(String::as_str).collect::<Vec<_>>())?;
    Ok(out
        .split('\x1e')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .filter_map(|r| {
            let p: Vec<&str> = r.split('\x1f').collect();
            (p.len() >= 6).then(|| LogEntry {
                sha: p[0].into(),
                parents: p[1].split_whitespace().map(str::to_string).collect(),
                author: p[2].into(),
                email: p[3].into(),
                at: p[4].into(),
                subject: p[5].into(),
            })
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Branch {
    pub name: String,
    pub sha: String,
    pub remote: bool,
    pub current: bool,
    pub upstream: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Worktree {
    pub path: String,
    pub head: Option<String>,
    pub branch: Option<String>,
}

pub fn branches(root: &Path) -> Result<Vec<Branch>, GitError> {
    let out = text(
        root,
        &[
            "for-each-ref",
            "--format=%(refname)%1f%(objectname)%1f%(HEAD)%1f%(upstream:short)",
            "refs/heads",
            "refs/remotes",
        ],
    )?;
    Ok(out
        .lines()
        .filter_map(|l| {
            let p: Vec<&str> = l.split('\x1f').collect();
            if p.len() < 4 || p[0].ends_with("/HEAD") {
                return None;
            }
            let remote = p[0].starts_with("refs/remotes/");
            let name = p[0]
                .trim_start_matches("refs/heads/")
                .trim_start_matches("refs/remotes/")
                .to_string();
            Some(Branch {
                name,
                sha: p[1].into(),
                remote,
                current: p[2] == "*",
                upstream: Some(p[3].to_string()).filter(|u| !u.is_empty()),
            })
        })
        .collect())
}

pub fn worktrees(root: &Path) -> Result<Vec<Worktree>, GitError> {
    let out = text(root, &["worktree", "list", "--porcelain"])?;
    let mut v = Vec::new();
    for block in out.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut w = Worktree {
            path: String::new(),
            head: None,
            branch: None,
        };
        for l in block.lines() {
            if let Some(p) = l.strip_prefix("worktree ") {
                w.path = p.into();
            } else if let Some(h) = l.strip_prefix("HEAD ") {
                w.head = Some(h.into());
            } else if let Some(b) = l.strip_prefix("branch ") {
                w.branch = Some(b.trim_start_matches("refs/heads/").into());
            }
        }
        v.push(w);
    }
    Ok(v)
}

pub fn stage(root: &Path, paths: &[String]) -> Result<(), GitError> {
    let mut args = vec!["add", "--"];
    args.extend(paths.iter().map(String::as_str));
    run(root, &args, None).map(|_| ())
}

pub fn unstage(root: &Path, paths: &[String]) -> Result<(), GitError> {
    if !has_head(root) {
        let mut args = vec!["rm", "--cached", "--quiet", "-r", "--"];
        args.extend(paths.iter().map(String::as_str));
        return run(root, &args, None).map(|_| ());
    }
    let mut args = vec!["restore", "--staged", "--"];
    args.extend(paths.iter().map(String::as_str));
    run(root, &args, None).map(|_| ())
}

/// Commit the index (or everything tracked with `all`); the message goes through stdin.
pub fn commit(
    root: &Path,
    message: &str,
    all: bool,
    author: Option<(&str, &str)>,
) -> Result<String, GitError> {
    let mut args: Vec<String> = Vec::new();
    if let Some((name, email)) = author {
        args.extend([
            "-c".into(),
            format!("user.name={name}"),
            "-c".into(),
            format!("user.email={email}"),
        ]);
    }
    args.extend([
        "commit".into(),
        "--quiet".into(),
        "--no-verify".into(),
        "-F".into(),
        "-".into(),
    ]);
    if all {
        args.push("--all".into());
    }
    run(
        root,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        Some(message.as_bytes()),
    )?;
    resolve(root, "HEAD")
}

/// Revert a commit (a new commit); on conflict the revert is aborted and nothing changes.
pub fn revert(root: &Path, sha: &str, author: Option<(&str, &str)>) -> Result<String, GitError> {
    let mut args: Vec<String> = Vec::new();
    if let Some((name, email)) = author {
        args.extend([
            "-c".into(),
            format!("user.name={name}"),
            "-c".into(),
            format!("user.email={email}"),
        ]);
    }
    args.extend([
        "revert".into(),
        "--no-edit".into(),
        "--end-of-options".into(),
        sha.to_string(),
    ]);
    match run(
        root,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    ) {
        Ok(_) => resolve(root, "HEAD"),
        Err(e) => {
            let _ = run(root, &["revert", "--abort"], None);
            Err(e)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayChurn {
    pub day: String,
    pub added: u32,
    pub removed: u32,
    pub commits: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileChurn {
    pub path: String,
    pub added: u32,
    pub removed: u32,
    pub commits: u32,
}

/// Lines added/removed per day and the most-changed files over commits since `since`.
pub fn churn(
    root: &Path,
    since: &str,
    max_commits: u32,
) -> Result<(Vec<DayChurn>, Vec<FileChurn>), GitError> {
    if !has_head(root) {
        return Ok((Vec::new(), Vec::new()));
    }
    let out = text(
        root,
        &[
            "log",
            "--no-merges",
            "--no-renames",
            "--numstat",
            "--format=%x1e%aI",
            &format!("--since={since}"),
            &format!("--max-count={max_commits}"),
            "HEAD",
            "--",
        ],
    )?;
    let mut days: HashMap<String, DayChurn> = HashMap::new();
    let mut files: HashMap<String, FileChurn> = HashMap::new();
    for rec in out.split('\x1e').filter(|r| !r.trim().is_empty()) {
        let mut lines = rec.lines();
        let day = lines
            .next()
            .unwrap_or("")
            .get(..10)
            .unwrap_or("")
            .to_string();
        let d = days.entry(day.clone()).or_insert_with(|| DayChurn {
            day,
            ..Default::default()
        });
        d.commits += 1;
        for l in lines.filter(|l| !l.is_empty()) {
            let mut p = l.splitn(3, '\t');
            let (a, r, path) = (
                p.next().unwrap_or("0"),
                p.next().unwrap_or("0"),
                p.next().unwrap_or(""),
            );
            let (a, r) = (a.parse::<u32>().unwrap_or(0), r.parse::<u32>().unwrap_or(0));
            d.added += a;
            d.removed += r;
            let f = files.entry(path.to_string()).or_insert_with(|| FileChurn {
                path: path.to_string(),
                ..Default::default()
            });
            f.added += a;
            f.removed += r;
            f.commits += 1;
        }
    }
    let mut days: Vec<DayChurn> = days.into_values().collect();
    days.sort_by(|a, b| a.day.cmp(&b.day));
    let mut files: Vec<FileChurn> = files.into_values().collect();
    files.sort_by(|a, b| {
        (b.added + b.removed)
            .cmp(&(a.added + a.removed))
            .then(a.path.cmp(&b.path))
    });
    Ok((days, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let o = Command::new("git")
                .arg("-C")
                .arg(d.path())
                .args(args)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        git(&["init", "-q", "-b", "main"]);
        git(&["config", "user.email", "t@example.com"]);
        git(&["config", "user.name", "T"]);
        std::fs::write(d.path().join("a.txt"), "one\ntwo\nthree\nfour\nfive\n").unwrap();
        std::fs::write(d.path().join("logo.bin"), [0u8, 1, 2, 3, 255]).unwrap();
        git(&["add", "."]);
        git(&["commit", "-qm", "first"]);
        d
    }

    #[test]
    fn revisions_and_paths_are_validated() {
        for ok in ["main", "HEAD~2", "v1.0", "feature/x", "abc123^"] {
            assert!(valid_rev(ok), "{ok}");
        }
        for bad in [
            "--upload-pack=touch pwned",
            "-x",
            "a..b",
            "HEAD@{1}",
            "x;rm",
            "$(touch pwned)",
            "a b",
            "",
        ] {
            assert!(!valid_rev(bad), "{bad}");
        }
        assert!(
            valid_path("src/a.rs")
                && !valid_path("../x")
                && !valid_path("/etc/passwd")
                && !valid_path("a/.git/config")
        );
    }

    #[test]
    fn rename_binary_and_untracked_in_one_diff() {
        let d = repo();
        let p = d.path();
        std::fs::rename(p.join("a.txt"), p.join("b.txt")).unwrap();
        std::fs::write(p.join("logo.bin"), [0u8, 9, 9, 9]).unwrap();
        std::fs::write(p.join("new.txt"), "hello\n").unwrap();
        stage(p, &["a.txt".into(), "b.txt".into()]).unwrap();
        let files = diff(p, &DiffSpec::All, &[], 3).unwrap();
        let renamed = files.iter().find(|f| f.path == "b.txt").expect("rename");
        assert_eq!(renamed.status, "renamed");
        assert_eq!(renamed.old_path.as_deref(), Some("a.txt"));
        let bin = files.iter().find(|f| f.path == "logo.bin").expect("binary");
        assert!(bin.binary && bin.patch.is_empty());
        let new = files
            .iter()
            .find(|f| f.path == "new.txt")
            .expect("untracked");
        assert_eq!((new.status.as_str(), new.additions), ("added", 1));
        assert!(new.patch.contains("+hello"));
        let st = status(p).unwrap();
        assert!(st
            .iter()
            .any(|e| e.index == 'R' && e.orig_path.as_deref() == Some("a.txt")));
        assert!(st.iter().any(|e| e.index == '?' && e.path == "new.txt"));
    }

    #[test]
    fn commit_revert_log_and_churn() {
        let d = repo();
        let p = d.path();
        std::fs::write(p.join("a.txt"), "one\n").unwrap();
        let sha = commit(p, "shorten a\n\nbody", true, None).unwrap();
        assert_eq!(resolve(p, "HEAD").unwrap(), sha);
        let log1 = log(
            p,
            &LogFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(log1[0].subject, "shorten a");
        assert_eq!(log1.len(), 2);
        let rev = revert(p, &sha, None).unwrap();
        assert_ne!(rev, sha);
        assert_eq!(
            std::fs::read_to_string(p.join("a.txt")).unwrap(),
            "one\ntwo\nthree\nfour\nfive\n"
        );
        let grep = log(
            p,
            &LogFilter {
                limit: 10,
                grep: Some("revert".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(grep.len(), 1);
        let (days, files) = churn(p, "1 year ago", 100).unwrap();
        assert_eq!(days.iter().map(|d| d.commits).sum::<u32>(), 3);
        assert_eq!(files[0].path, "a.txt");
        let between = diff(p, &DiffSpec::Commits(log1[1].sha.clone(), sha), &[], 3).unwrap();
        assert_eq!(between[0].deletions, 4);
        assert!(resolve(p, "--upload-pack=x").is_err());
    }
}
