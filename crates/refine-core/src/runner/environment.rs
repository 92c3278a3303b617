//! The worktree environment: before a new Round's agent starts, the app's git-ignored files it
//! names are copied (or linked) into the worktree and its setup commands run there, supervised;
//! when the Goal is done, its teardown commands run in each of its worktrees and Refine removes
//! them (the branches stay). Every step is recorded with the Round (`RoundWork.environment`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use refine_host::worktree as wt;
use refine_model::agents::EnvStep;
use refine_model::settings::{app_relative, WorktreeSettings};
use refine_model::work::Goal;
use refine_model::{ApiError, App};

use crate::agents::AgentFailure;
use crate::Core;

/// How long one setup or teardown command may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30 * 60);

fn step(kind: &str, what: &str, passed: bool, log: impl Into<String>, started: Instant) -> EnvStep {
    EnvStep {
        kind: kind.into(),
        what: what.into(),
        exit_code: None,
        passed,
        duration_ms: started.elapsed().as_millis() as u64,
        log_excerpt: log.into(),
        process_id: None,
    }
}

/// Copies a file, or a folder with what it holds (symlinks stay symlinks).
fn copy_tree(src: &Path, dst: &Path) -> std::io::Result<u64> {
    let meta = std::fs::symlink_metadata(src)?;
    if meta.file_type().is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(src)?, dst)?;
        return Ok(0);
    }
    if meta.is_dir() {
        std::fs::create_dir_all(dst)?;
        let mut n = 0;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            n += copy_tree(&entry.path(), &dst.join(entry.file_name()))?;
        }
        return Ok(n);
    }
    if !meta.is_file() {
        // Pipes, sockets and devices are not copied (opening a pipe would wait forever).
        return Ok(0);
    }
    std::fs::copy(src, dst)?;
    Ok(1)
}

/// The exact path goes into the repository's `info/exclude` (shared by its worktrees; the
/// worktree ignores that path already), so what was placed never lands in a candidate.
fn exclude_path(worktree: &Path, rel: &str) -> std::io::Result<()> {
    let o = std::process::Command::new("git")
        .arg("-C")
        .arg(worktree)
        .args(["rev-parse", "--git-common-dir"])
        .output()?;
    let common = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let common = if common.is_absolute() {
        common
    } else {
        worktree.join(common)
    };
    let file = common.join("info").join("exclude");
    let line = format!("/{rel}");
    let now = std::fs::read_to_string(&file).unwrap_or_default();
    if now.lines().any(|l| l == line) {
        return Ok(());
    }
    std::fs::create_dir_all(common.join("info"))?;
    let sep = if now.is_empty() || now.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    std::fs::write(&file, format!("{now}{sep}{line}\n"))
}

/// Copies or links one git-ignored path of the app root into the worktree. Nothing outside the
/// app root is read, nothing git tracks is touched.
fn place(root: &Path, worktree: &Path, rel: &str, link: bool) -> EnvStep {
    let started = Instant::now();
    let kind = if link { "link" } else { "copy" };
    let rel = rel.trim_end_matches('/');
    if !app_relative(rel) {
        return step(kind, rel, false, "not a path inside the app root", started);
    }
    let src = root.join(rel);
    let (Ok(real_root), Ok(real_src)) = (root.canonicalize(), src.canonicalize()) else {
        return step(
            kind,
            rel,
            false,
            format!("{rel} does not exist in the app root; nothing to {kind}"),
            started,
        );
    };
    if !real_src.starts_with(&real_root) {
        return step(
            kind,
            rel,
            false,
            format!("{rel} leads outside the app root; not placed"),
            started,
        );
    }
    // Ignored as the worktree sees it (its .gitignore is the base commit's, not the root's
    // working copy), so what is placed can never be added to a candidate.
    let ignored = std::process::Command::new("git")
        .arg("-C")
        .arg(worktree)
        .args(["check-ignore", "-q", "--no-index", "--"])
        // A folder is asked about as `dir/`: it does not exist in the worktree yet, and a
        // pattern like `node_modules/` only matches what git knows to be a folder.
        .arg(if real_src.is_dir() {
            format!("{rel}/")
        } else {
            rel.to_string()
        })
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ignored {
        return step(
            kind,
            rel,
            false,
            format!("{rel} is not ignored by git in the worktree: the worktree has what git tracks already; list only ignored files"),
            started,
        );
    }
    let dst = worktree.join(rel);
    if std::fs::symlink_metadata(&dst).is_ok() {
        return step(
            kind,
            rel,
            true,
            format!("{rel} is already in the worktree; left as it is"),
            started,
        );
    }
    if let Some(parent) = dst.parent() {
        if let Err(e) = std::fs::create_dir_all(parent) {
            return step(
                kind,
                rel,
                false,
                format!("could not make {}: {e}", parent.display()),
                started,
            );
        }
    }
    // Excluded by its exact path too (a symlink is not a folder to git, so `node_modules/`
    // would not ignore a linked `node_modules`), so git never sees what was placed.
    let done = if link {
        std::os::unix::fs::symlink(&real_src, &dst)
            .and_then(|_| exclude_path(worktree, rel))
            .map(|_| format!("linked {rel} → {}", real_src.display()))
    } else {
        copy_tree(&real_src, &dst)
            .and_then(|n| exclude_path(worktree, rel).map(|_| n))
            .map(|n| format!("copied {rel} ({n} file{})", if n == 1 { "" } else { "s" }))
    };
    match done {
        Ok(log) => step(kind, rel, true, log, started),
        Err(e) => step(
            kind,
            rel,
            false,
            format!("could not {kind} {rel}: {e}"),
            started,
        ),
    }
}

impl Core {
    /// Prepares a new Round's worktree: copies and links, then the setup commands in order.
    /// Returns the steps and, when a setup command failed, why the Round cannot go on.
    pub(crate) async fn prepare_environment(
        &self,
        app: &App,
        goal: &Goal,
        round: u32,
        worktree: &Path,
        env: &WorktreeSettings,
    ) -> Result<(Vec<EnvStep>, Option<String>), AgentFailure> {
        let (root, dir) = (PathBuf::from(&app.path), worktree.to_path_buf());
        let (copy, link) = (env.copy.clone(), env.link.clone());
        let mut steps = self
            .blocking(move |_| {
                let mut steps: Vec<EnvStep> =
                    copy.iter().map(|p| place(&root, &dir, p, false)).collect();
                steps.extend(link.iter().map(|p| place(&root, &dir, p, true)));
                Ok::<_, ApiError>(steps)
            })
            .await?;
        for (i, command) in env.setup.iter().enumerate() {
            let ran = self
                .supervised_command(
                    app,
                    goal,
                    round,
                    worktree,
                    command,
                    format!("setup #{} r{round}: step {}", goal.number, i + 1),
                    COMMAND_TIMEOUT,
                )
                .await?;
            let passed = ran.passed;
            steps.push(EnvStep {
                kind: "setup".into(),
                what: command.clone(),
                exit_code: ran.exit_code,
                passed,
                duration_ms: ran.duration_ms,
                log_excerpt: ran.log_excerpt,
                process_id: Some(ran.process_id),
            });
            if !passed {
                let code = ran
                    .exit_code
                    .map_or_else(|| "no exit code".to_string(), |c| format!("exit {c}"));
                return Ok((steps, Some(format!("worktree setup failed: `{command}` ({code}); its output is with Round {round}"))));
            }
        }
        Ok((steps, None))
    }

    /// After the Goal is done: the teardown commands in each of its worktrees, then the worktree
    /// is removed (its branch stays). Recorded with each Round; a worktree already gone is skipped.
    pub(crate) async fn tear_down_worktrees(&self, goal_id: &str) -> Result<(), ApiError> {
        let id = goal_id.to_string();
        let Some(goal) = self.read(move |c| refine_store::goals::get(c, &id)).await? else {
            return Ok(());
        };
        let app = self
            .apps_get(crate::apps::AppIdInput {
                id: goal.app_id.clone(),
            })
            .await?;
        let settings = self.effective_settings(Some(app.id.clone())).await?;
        let mut seen = Vec::new();
        for r in goal.rounds.iter().map(|r| r.number) {
            let id = goal.id.clone();
            let work = self
                .read(move |c| refine_store::agents::round_work(c, &id, r))
                .await?;
            // The Round's worktree and those of its best-of-N candidates — never the app's own
            // checkout ("no worktree" mode works there; it is not Refine's to remove).
            let paths: Vec<PathBuf> = work
                .worktree
                .clone()
                .filter(|_| !work.in_checkout)
                .map(PathBuf::from)
                .into_iter()
                .chain(Self::candidate_worktrees(&work))
                .filter(|p| p != Path::new(&app.path))
                .collect();
            for path in paths {
                if seen.contains(&path) || !path.exists() {
                    continue;
                }
                seen.push(path.clone());
                let mut steps = Vec::new();
                for (i, command) in settings.worktree.teardown.iter().enumerate() {
                    let ran = self
                        .supervised_command(
                            &app,
                            &goal,
                            r,
                            &path,
                            command,
                            format!("teardown #{} r{r}: step {}", goal.number, i + 1),
                            COMMAND_TIMEOUT,
                        )
                        .await;
                    steps.push(match ran {
                        Ok(ran) => EnvStep {
                            kind: "teardown".into(),
                            what: command.clone(),
                            exit_code: ran.exit_code,
                            passed: ran.passed,
                            duration_ms: ran.duration_ms,
                            log_excerpt: ran.log_excerpt,
                            process_id: Some(ran.process_id),
                        },
                        Err(_) => step(
                            "teardown",
                            command,
                            false,
                            "could not run it",
                            Instant::now(),
                        ),
                    });
                }
                let (repo, p2) = (PathBuf::from(&app.path), path.clone());
                let started = Instant::now();
                let removed = self
                    .blocking(move |_| {
                        Ok::<_, ApiError>(
                            wt::remove_worktree(&repo, &p2).map_err(|e| e.to_string()),
                        )
                    })
                    .await?;
                steps.push(match removed {
                    Ok(()) => step(
                        "remove",
                        &path.to_string_lossy(),
                        true,
                        "worktree removed; the branch stays",
                        started,
                    ),
                    Err(e) => step("remove", &path.to_string_lossy(), false, e, started),
                });
                self.record_work(&goal.id, r, move |w| w.environment.extend(steps))
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, script: &str) {
        let ok = std::process::Command::new("sh")
            .args(["-c", script])
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .status()
            .unwrap()
            .success();
        assert!(ok, "{script}");
    }

    #[test]
    fn only_ignored_paths_inside_the_root_are_placed() {
        let tmp = tempfile::tempdir().unwrap();
        let (root, wt, outside) = (
            tmp.path().join("app"),
            tmp.path().join("wt"),
            tmp.path().join("secret"),
        );
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(&outside, "not yours\n").unwrap();
        sh(
            &root,
            "git init -q && printf '.env\\nevil\\nlinked/\\n' > .gitignore && echo tracked > README.md \
             && git add -A && git -c user.email=t@e -c user.name=T commit -qm init \
             && echo TOKEN=1 > .env && ln -s ../secret evil && mkdir linked && echo x > linked/f",
        );
        sh(
            &wt,
            "git init -q && printf '.env\\nevil\\nlinked/\\n' > .gitignore",
        );
        let env = place(&root, &wt, ".env", false);
        assert!(env.passed, "{env:?}");
        assert_eq!(
            std::fs::read_to_string(wt.join(".env")).unwrap(),
            "TOKEN=1\n"
        );
        // A symlink in the root that leads outside it is not followed.
        let evil = place(&root, &wt, "evil", false);
        assert!(
            !evil.passed && evil.log_excerpt.contains("outside the app root"),
            "{evil:?}"
        );
        assert!(!wt.join("evil").exists());
        // Tracked files are the worktree's already; syntax that leaves the root is refused.
        assert!(!place(&root, &wt, "README.md", false).passed);
        assert!(!place(&root, &wt, "../secret", false).passed);
        // A linked folder is excluded by its exact path, so git never sees the link.
        let l = place(&root, &wt, "linked", true);
        assert!(l.passed, "{l:?}");
        let exclude = std::fs::read_to_string(wt.join(".git/info/exclude")).unwrap();
        assert!(exclude.lines().any(|x| x == "/linked"), "{exclude}");
    }
}
