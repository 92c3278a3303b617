//! A debounced file watcher per app root (notify). Directories are watched one by one
//! (non-recursively) so ignored trees such as `node_modules/` or `target/` cost no watches;
//! directories that appear later are added as they appear. Changes are collected until the
//! file system has been quiet for the debounce interval (or one second passed), filtered
//! (`.git` internals, gitignored paths, the data dir, Refine's own temp files) and handed to
//! the callback as paths relative to the root.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::event::{EventKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};
use refine_model::files::FileKind;
use refine_model::ApiError;

use super::{Ignores, RelPath, Root, GIT_DIR, TEMP_PREFIX};

/// What happened to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Modified,
    Removed,
    Renamed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Modified => "modified",
            ChangeKind::Removed => "removed",
            ChangeKind::Renamed => "renamed",
        }
    }
}

enum Msg {
    Fs(notify::Result<notify::Event>),
    Stop,
}

/// A running watcher; dropping it stops the watch and its thread.
pub struct Watcher {
    tx: mpsc::Sender<Msg>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
    }
}

/// Longest a batch is held back while changes keep arriving.
const MAX_DELAY: Duration = Duration::from_secs(1);

type Callback = Box<dyn Fn(Vec<(String, ChangeKind)>) + Send + 'static>;

impl Watcher {
    /// Watch `root` (every non-ignored directory) and call `on_change` with each debounced
    /// batch of relative paths. Watches are in place when this returns.
    pub fn start(
        root: &Path,
        data_dir: &Path,
        debounce: Duration,
        on_change: impl Fn(Vec<(String, ChangeKind)>) + Send + 'static,
    ) -> Result<Watcher, ApiError> {
        Self::start_indexed(root, data_dir, debounce, on_change).map(|(w, _)| w)
    }

    /// [`Watcher::start`], also returning the list of files the initial walk found (the same
    /// set [`Root::index_files`] gives), so name search needs no walk of its own.
    pub fn start_indexed(
        root: &Path,
        data_dir: &Path,
        debounce: Duration,
        on_change: impl Fn(Vec<(String, ChangeKind)>) + Send + 'static,
    ) -> Result<(Watcher, super::FileIndex), ApiError> {
        let root = Root::open(root, data_dir)?;
        let (tx, rx) = mpsc::channel::<Msg>();
        let fs_tx = tx.clone();
        let mut watcher = notify::recommended_watcher(move |res| {
            let _ = fs_tx.send(Msg::Fs(res));
        })
        .map_err(|e| ApiError::unavailable(format!("cannot watch files: {e}")))?;
        let (files, complete) = add_watches(&mut watcher, &root, &RelPath::root());
        let index = super::FileIndex::from_entries(files, complete);
        let on_change: Callback = Box::new(on_change);
        std::thread::Builder::new()
            .name("refine-watch".into())
            .spawn(move || run(watcher, root, rx, debounce, on_change))
            .map_err(|e| ApiError::unavailable(format!("cannot start the file watcher: {e}")))?;
        Ok((Watcher { tx }, index))
    }
}

/// Watch `start` and every non-ignored directory below it; returns the files found below
/// `start` (reported as created when a directory appears with content) and whether the walk
/// saw everything.
fn add_watches(
    watcher: &mut RecommendedWatcher,
    root: &Root,
    start: &RelPath,
) -> (Vec<(String, FileKind)>, bool) {
    let mut files = Vec::new();
    let abs = root.abs().to_path_buf();
    if let Err(e) = watcher.watch(&abs.join(start.to_path()), RecursiveMode::NonRecursive) {
        tracing::debug!(error = %e, "cannot watch a directory");
        return (files, false);
    }
    let complete = root.walk(start, false, &mut |v| {
        if v.kind == FileKind::Dir {
            if let Err(e) = watcher.watch(&abs.join(v.rel().to_path()), RecursiveMode::NonRecursive)
            {
                tracing::debug!(error = %e, "cannot watch a directory");
            }
        } else {
            files.push((v.path_string(), v.kind));
        }
        true
    });
    (files, complete.unwrap_or(false))
}

fn kind_of(event: &EventKind) -> Option<ChangeKind> {
    match event {
        EventKind::Access(_) => None,
        EventKind::Create(_) => Some(ChangeKind::Created),
        EventKind::Remove(_) => Some(ChangeKind::Removed),
        EventKind::Modify(ModifyKind::Name(_)) => Some(ChangeKind::Renamed),
        EventKind::Modify(_) | EventKind::Any | EventKind::Other => Some(ChangeKind::Modified),
    }
}

fn merge(pending: &mut BTreeMap<PathBuf, ChangeKind>, path: PathBuf, kind: ChangeKind) {
    let entry = pending.entry(path).or_insert(kind);
    if !(*entry == ChangeKind::Created && kind == ChangeKind::Modified) {
        *entry = kind;
    }
}

fn run(
    mut watcher: RecommendedWatcher,
    root: Root,
    rx: mpsc::Receiver<Msg>,
    debounce: Duration,
    on_change: Callback,
) {
    let mut pending: BTreeMap<PathBuf, ChangeKind> = BTreeMap::new();
    let mut first: Option<Instant> = None;
    loop {
        let wait = if pending.is_empty() {
            Duration::from_secs(3600)
        } else {
            debounce
        };
        match rx.recv_timeout(wait) {
            Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(Msg::Fs(Err(e))) => tracing::debug!(error = %e, "watch error"),
            Ok(Msg::Fs(Ok(event))) => {
                let Some(kind) = kind_of(&event.kind) else {
                    continue;
                };
                for path in event.paths {
                    // A directory that appeared: watch it, and report what it already holds.
                    if matches!(kind, ChangeKind::Created | ChangeKind::Renamed)
                        && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir())
                    {
                        if let Some(rel) = relative(&root, &path) {
                            for (f, _) in add_watches(&mut watcher, &root, &rel).0 {
                                merge(&mut pending, root.abs().join(f), ChangeKind::Created);
                            }
                        }
                    }
                    merge(&mut pending, path, kind);
                }
                first.get_or_insert_with(Instant::now);
                if first.is_some_and(|t| t.elapsed() < MAX_DELAY) {
                    continue;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if pending.is_empty() {
            continue;
        }
        let batch = filter(&root, std::mem::take(&mut pending));
        first = None;
        if !batch.is_empty() {
            on_change(batch);
        }
    }
}

fn relative(root: &Root, path: &Path) -> Option<RelPath> {
    let rel = path.strip_prefix(root.abs()).ok()?;
    let text = rel.to_str()?;
    RelPath::parse(text).ok().filter(|r| !r.is_root())
}

/// Drop `.git` internals, temp files, the data dir and gitignored paths.
fn filter(root: &Root, pending: BTreeMap<PathBuf, ChangeKind>) -> Vec<(String, ChangeKind)> {
    let mut cache: HashMap<RelPath, (Ignores, bool)> = HashMap::new();
    let mut out = Vec::new();
    for (path, kind) in pending {
        let Some(rel) = relative(root, &path) else {
            continue;
        };
        if rel
            .parts()
            .iter()
            .any(|p| p == GIT_DIR || p.starts_with(TEMP_PREFIX))
            || root.check_name(&rel).is_err()
        {
            continue;
        }
        let parent = rel.parent();
        let (ignores, parent_ignored) = cache
            .entry(parent.clone())
            .or_insert_with(|| Ignores::for_dir(&root.dir, parent.parts()));
        let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if *parent_ignored || ignores.is_ignored(rel.parts(), is_dir) {
            continue;
        }
        out.push((rel.as_string(), kind));
    }
    out
}
