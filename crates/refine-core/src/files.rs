//! files: the app's files, confined to its root (refine-host's `files::Root`): a lazy
//! gitignore-aware tree, reads with binary detection and a size cap, etag-checked atomic
//! writes, create / rename / delete through the mutation pipeline, fuzzy name search, regex
//! content search, and `files.changed` events from a debounced watcher per app.

use crate::events::kind;
use refine_model::event::{FileRenamed, FileTouched, FileWritten, FilesChanged};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use refine_host::files::{FileIndex, FindOptions, GrepOptions, RelPath, Root, Watcher, READ_LIMIT};
use refine_model::files::{DirListing, FileContent, FileInfo, FileKind, FindResult, GrepResult};
use refine_model::{ApiError, App};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;

use crate::{Change, Core, Ctx, Mutated};

/// How long the watcher waits for the file system to go quiet before it reports.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// A watched app: its watcher, and the list of its files that name search scores, kept until
/// the watcher reports a change (so repeated searches do not walk the disk again).
pub(crate) struct Watched {
    _watcher: Watcher,
    index: Arc<Mutex<IndexSlot>>,
}

#[derive(Default)]
struct IndexSlot {
    /// Bumped by every change batch; an index built across a bump is not kept.
    generation: u64,
    index: Option<Arc<FileIndex>>,
}

/// List one directory of the app (default: its root).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TreeInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// Directory relative to the app root (`""` or absent: the root).
    #[serde(default)]
    pub path: Option<String>,
    /// Also list entries matched by `.gitignore` (marked `ignored`).
    #[serde(default)]
    pub show_ignored: Option<bool>,
}

/// Read one file, whole (up to 2 MiB) or a byte range of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub path: String,
    /// First byte of a range.
    #[serde(default)]
    pub offset: Option<f64>,
    /// Bytes of a range (at most 2 MiB).
    #[serde(default)]
    pub length: Option<u32>,
}

/// Replace an existing file's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WriteInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub path: String,
    pub content: String,
    /// The `etag` the content was based on (from `files.read`); when the file changed since,
    /// the write is refused with 412 `stale` and the current etag. Absent: overwrite.
    #[serde(default)]
    pub etag: Option<String>,
}

/// Create a new file or directory (the parent must exist).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub path: String,
    /// `file` (default) or `dir`.
    #[serde(default)]
    pub kind: Option<FileKind>,
    /// Initial text of a file.
    #[serde(default)]
    pub content: Option<String>,
}

/// Rename or move an entry inside the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenameInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub from: String,
    pub to: String,
}

/// Delete a file, a link or a directory (non-empty ones need `recursive: true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub path: String,
    #[serde(default)]
    pub recursive: Option<bool>,
}

/// What a delete removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    pub path: String,
    pub kind: FileKind,
}

/// Fuzzy search over file paths (gitignore-aware).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FindInput {
    #[serde(default)]
    pub app_id: Option<String>,
    pub query: String,
    /// Most results (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub show_ignored: Option<bool>,
}

/// Regex search over file contents (gitignore-aware; binary files skipped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrepInput {
    #[serde(default)]
    pub app_id: Option<String>,
    /// A regular expression (Rust `regex` syntax), or literal text with `fixedStrings`.
    pub pattern: String,
    /// Directory to search below (default: the root).
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub case_insensitive: Option<bool>,
    #[serde(default)]
    pub fixed_strings: Option<bool>,
    /// Most matching lines (default 200, at most 2000).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub show_ignored: Option<bool>,
}

fn bounded(limit: Option<u32>, default: u32, max: u32, what: &str) -> Result<usize, ApiError> {
    match limit {
        None => Ok(default as usize),
        Some(0) => Err(ApiError::invalid(format!("{what} must be at least 1"))),
        Some(n) if n > max => Err(ApiError::invalid(format!("{what} must be at most {max}"))),
        Some(n) => Ok(n as usize),
    }
}

fn opt_path(path: Option<&str>) -> Result<RelPath, ApiError> {
    RelPath::parse(path.unwrap_or(""))
}

fn check_content(content: &str) -> Result<(), ApiError> {
    if content.len() as u64 > READ_LIMIT {
        return Err(ApiError::too_large(format!(
            "content is {} bytes, more than the {READ_LIMIT}-byte limit",
            content.len()
        )));
    }
    Ok(())
}

fn content_digest(content: &str) -> serde_json::Value {
    json!({ "bytes": content.len(), "sha256": refine_host::files::etag_of(content.as_bytes()) })
}

impl Core {
    /// Start the app's watcher unless it runs already. Changes become `files.changed` events
    /// `{appId, paths, kinds}` (`kinds[i]` is what happened to `paths[i]`: created, modified,
    /// removed or renamed).
    fn watch_app(&self, app: &App) {
        let mut map = self.0.watchers.lock().unwrap_or_else(|p| p.into_inner());
        if map.contains_key(&app.id) {
            return;
        }
        let weak = Arc::downgrade(&self.0);
        let app_id = app.id.clone();
        let index = Arc::new(Mutex::new(IndexSlot::default()));
        let slot = index.clone();
        let root_abs = std::path::PathBuf::from(&app.path);
        let started = Watcher::start_indexed(
            Path::new(&app.path),
            &self.0.data_dir,
            DEBOUNCE,
            move |batch| {
                {
                    let paths: Vec<String> = batch.iter().map(|(p, _)| p.clone()).collect();
                    let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
                    s.generation += 1;
                    s.index = s.index.take().and_then(|kept| {
                        let mut idx = Arc::unwrap_or_clone(kept);
                        idx.apply(&root_abs, &paths, true).then(|| Arc::new(idx))
                    });
                }
                let Some(inner) = weak.upgrade() else { return };
                let (paths, kinds): (Vec<String>, Vec<&str>) =
                    batch.into_iter().map(|(p, k)| (p, k.as_str())).unzip();
                Core(inner).bus().publish(
                    kind::FILES_CHANGED,
                    Some(app_id.clone()),
                    &FilesChanged {
                        app_id: app_id.clone(),
                        paths,
                        kinds: kinds.into_iter().map(str::to_string).collect(),
                    },
                );
            },
        );
        match started {
            Ok((w, files)) => {
                {
                    let mut s = index.lock().unwrap_or_else(|p| p.into_inner());
                    if s.generation == 0 {
                        s.index = Some(Arc::new(files));
                    }
                }
                map.insert(app.id.clone(), Watched { _watcher: w, index });
            }
            Err(e) => tracing::warn!(app = %app.id, error = %e.message, "no file watcher"),
        }
    }

    /// The app's file list for name search: the kept one while the watcher has reported no
    /// change since it was built, else a fresh walk (kept unless a change arrived meanwhile).
    /// Without a watcher nothing is kept.
    fn file_index(&self, app_id: &str, root: &Root) -> Result<Arc<FileIndex>, ApiError> {
        let slot = self
            .0
            .watchers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(app_id)
            .map(|w| w.index.clone());
        let Some(slot) = slot else {
            return Ok(Arc::new(root.index_files(false)?));
        };
        let generation = {
            let s = slot.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(index) = &s.index {
                self.0.file_index_counters.hit();
                return Ok(index.clone());
            }
            s.generation
        };
        self.0.file_index_counters.miss();
        let fresh = Arc::new(root.index_files(false)?);
        let mut s = slot.lock().unwrap_or_else(|p| p.into_inner());
        if s.generation == generation {
            s.index = Some(fresh.clone());
        }
        Ok(fresh)
    }

    fn index_slots(&self) -> Vec<Arc<Mutex<IndexSlot>>> {
        self.0
            .watchers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|w| w.index.clone())
            .collect()
    }

    /// Kept file lists and about how much memory they take (the `files.index` cache).
    pub(crate) fn file_index_stats(&self) -> (usize, usize) {
        self.index_slots()
            .iter()
            .filter_map(|s| {
                s.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .index
                    .as_ref()
                    .map(|i| i.approx_bytes())
            })
            .fold((0, 0), |(n, b), x| (n + 1, b + x))
    }

    /// Drop every kept file list (the next name search walks again); returns how many.
    pub(crate) fn clear_file_indexes(&self) -> usize {
        self.index_slots()
            .iter()
            .filter(|s| {
                let mut s = s.lock().unwrap_or_else(|p| p.into_inner());
                s.generation += 1;
                s.index.take().is_some()
            })
            .count()
    }

    /// The apps whose files are watched (and so may keep a file list).
    pub(crate) fn watched_apps(&self) -> Vec<App> {
        let ids: Vec<String> = self
            .0
            .watchers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        self.0
            .store
            .read(refine_store::apps::list)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| ids.contains(&a.id))
            .collect()
    }

    /// Walk an app's files again and keep the list; false when the folder cannot be walked.
    pub(crate) fn rebuild_file_index(&self, app: &App) -> bool {
        Root::open(Path::new(&app.path), self.data_dir())
            .and_then(|root| self.file_index(&app.id, &root))
            .is_ok()
    }

    /// Bring the app's kept file list up to date with a change made through Refine (the
    /// watcher reports it later; name search must not miss it meanwhile).
    fn note_file_change(&self, app_id: &str, root: &Path, paths: &[String]) {
        if let Some(w) = self
            .0
            .watchers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(app_id)
        {
            let mut s = w.index.lock().unwrap_or_else(|p| p.into_inner());
            s.generation += 1;
            s.index = s.index.take().and_then(|kept| {
                let mut idx = Arc::unwrap_or_clone(kept);
                idx.apply(root, paths, false).then(|| Arc::new(idx))
            });
        }
    }

    /// Stop the watcher of an app (it was removed).
    pub(crate) fn unwatch_app(&self, app_id: &str) {
        self.0
            .watchers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(app_id);
    }

    /// Resolve the app, make sure it is watched, and run `f` on its opened root off the
    /// executor.
    async fn with_root<T, F>(&self, ctx: &Ctx, app_id: Option<&str>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Root) -> Result<T, ApiError> + Send + 'static,
    {
        let app = self.resolve_app(ctx, app_id).await?;
        self.blocking(move |core| {
            let root = Root::open(Path::new(&app.path), core.data_dir())?;
            core.watch_app(&app);
            f(&root)
        })
        .await
    }

    /// `files.tree`
    pub async fn files_tree(&self, ctx: &Ctx, input: TreeInput) -> Result<DirListing, ApiError> {
        let rel = opt_path(input.path.as_deref())?;
        let show = input.show_ignored.unwrap_or(false);
        self.with_root(ctx, input.app_id.as_deref(), move |root| {
            root.list(&rel, show)
        })
        .await
    }

    /// `files.read`
    pub async fn files_read(&self, ctx: &Ctx, input: ReadInput) -> Result<FileContent, ApiError> {
        let rel = RelPath::parse(&input.path)?;
        let offset = match input.offset {
            None => None,
            Some(o) if o.is_finite() && o >= 0.0 && o.fract() == 0.0 => Some(o as u64),
            Some(_) => return Err(ApiError::invalid("offset must be a whole number ≥ 0")),
        };
        let length = input.length.map(u64::from);
        self.with_root(ctx, input.app_id.as_deref(), move |root| {
            root.read(&rel, offset, length)
        })
        .await
    }

    /// `files.find`
    pub async fn files_find(&self, ctx: &Ctx, input: FindInput) -> Result<FindResult, ApiError> {
        let opts = FindOptions {
            limit: bounded(input.limit, 50, 500, "limit")?,
            show_ignored: input.show_ignored.unwrap_or(false),
        };
        let query = input.query;
        let app = self.resolve_app(ctx, input.app_id.as_deref()).await?;
        self.blocking(move |core| {
            let root = Root::open(Path::new(&app.path), core.data_dir())?;
            core.watch_app(&app);
            if opts.show_ignored {
                return root.find(&query, &opts);
            }
            core.file_index(&app.id, &root)?.find(&query, opts.limit)
        })
        .await
    }

    /// `files.grep`
    pub async fn files_grep(&self, ctx: &Ctx, input: GrepInput) -> Result<GrepResult, ApiError> {
        let start = opt_path(input.path.as_deref())?;
        let opts = GrepOptions {
            case_insensitive: input.case_insensitive.unwrap_or(false),
            fixed_strings: input.fixed_strings.unwrap_or(false),
            limit: bounded(input.limit, 200, 2000, "limit")?,
            show_ignored: input.show_ignored.unwrap_or(false),
        };
        let pattern = input.pattern;
        self.with_root(ctx, input.app_id.as_deref(), move |root| {
            root.grep(&pattern, &start, &opts)
        })
        .await
    }

    /// Run a file mutation through the pipeline. The file system change happens inside the
    /// write transaction, so Refine's own writers are serialised (an etag check and its write
    /// cannot interleave with another) and a refused change records nothing.
    async fn files_mutation<T, F>(
        &self,
        ctx: &Ctx,
        app_id: Option<&str>,
        request: serde_json::Value,
        f: F,
    ) -> Result<Mutated<T>, ApiError>
    where
        T: Serialize + serde::de::DeserializeOwned + Send + 'static,
        F: FnOnce(&Root) -> Result<(T, String, FileEvent), ApiError> + Send + 'static,
    {
        let app = self.resolve_app(ctx, app_id).await?;
        // The journal keeps the request with the app resolved and file content as a digest.
        let mut request = request;
        request["appId"] = json!(app.id);
        let core = self.clone();
        let app2 = app.clone();
        self.mutate(ctx, &request, async { Ok(()) }, move |_tx, ()| {
            let root = Root::open(Path::new(&app2.path), core.data_dir())?;
            core.watch_app(&app2);
            let (value, summary, event) = match f(&root) {
                Ok(r) => r,
                Err(e) => {
                    // A failed change may still have touched something: re-walk on next search.
                    core.note_file_change(&app2.id, Path::new(&app2.path), &[String::new()]);
                    return Err(e);
                }
            };
            let touched = event.touched();
            core.note_file_change(&app2.id, Path::new(&app2.path), &touched);
            let change = event.change(Change::new(summary).app(Some(app2.id.clone())), &app2.id);
            Ok((value, change))
        })
        .await
    }

    /// `files.write`
    pub async fn files_write(
        &self,
        ctx: &Ctx,
        input: WriteInput,
    ) -> Result<Mutated<FileInfo>, ApiError> {
        let rel = RelPath::parse_new(&input.path)?;
        check_content(&input.content)?;
        let request = json!({
            "path": rel.as_string(),
            "etag": input.etag,
            "content": content_digest(&input.content),
        });
        self.files_mutation(ctx, input.app_id.as_deref(), request, move |root| {
            let info = root.write(&rel, input.content.as_bytes(), input.etag.as_deref())?;
            let summary = format!("Wrote {} ({} bytes)", info.path, input.content.len());
            let event = FileEvent::Written {
                path: info.path.clone(),
                etag: info.etag.clone(),
            };
            Ok((info, summary, event))
        })
        .await
    }

    /// `files.create`
    pub async fn files_create(
        &self,
        ctx: &Ctx,
        input: CreateInput,
    ) -> Result<Mutated<FileInfo>, ApiError> {
        let rel = RelPath::parse_new(&input.path)?;
        let kind = input.kind.unwrap_or(FileKind::File);
        if !matches!(kind, FileKind::File | FileKind::Dir) {
            return Err(ApiError::invalid("kind must be file or dir"));
        }
        let content = input.content.unwrap_or_default();
        check_content(&content)?;
        let request = json!({
            "path": rel.as_string(),
            "kind": kind,
            "content": content_digest(&content),
        });
        self.files_mutation(ctx, input.app_id.as_deref(), request, move |root| {
            let info = root.create(&rel, kind, content.as_bytes())?;
            let what = if kind == FileKind::Dir {
                "directory"
            } else {
                "file"
            };
            let summary = format!("Created {what} {}", info.path);
            let event = FileEvent::Created {
                path: info.path.clone(),
                kind,
            };
            Ok((info, summary, event))
        })
        .await
    }

    /// `files.rename`
    pub async fn files_rename(
        &self,
        ctx: &Ctx,
        input: RenameInput,
    ) -> Result<Mutated<FileInfo>, ApiError> {
        let from = RelPath::parse(&input.from)?;
        let to = RelPath::parse_new(&input.to)?;
        let request = json!({ "from": from.as_string(), "to": to.as_string() });
        self.files_mutation(ctx, input.app_id.as_deref(), request, move |root| {
            let info = root.rename(&from, &to)?;
            let summary = format!("Renamed {} to {}", from.as_string(), to.as_string());
            let event = FileEvent::Renamed {
                from: from.as_string(),
                to: to.as_string(),
                kind: info.kind,
            };
            Ok((info, summary, event))
        })
        .await
    }

    /// `files.delete`
    pub async fn files_delete(
        &self,
        ctx: &Ctx,
        input: DeleteInput,
    ) -> Result<Mutated<Deleted>, ApiError> {
        let rel = RelPath::parse(&input.path)?;
        let recursive = input.recursive.unwrap_or(false);
        let request = json!({ "path": rel.as_string(), "recursive": recursive });
        self.files_mutation(ctx, input.app_id.as_deref(), request, move |root| {
            let kind = root.delete(&rel, recursive)?;
            let what = match kind {
                FileKind::Dir if recursive => "directory (with its content)",
                FileKind::Dir => "directory",
                FileKind::Symlink => "link",
                _ => "file",
            };
            let summary = format!("Deleted {what} {}", rel.as_string());
            let event = FileEvent::Deleted {
                path: rel.as_string(),
                kind,
            };
            Ok((
                Deleted {
                    path: rel.as_string(),
                    kind,
                },
                summary,
                event,
            ))
        })
        .await
    }
}

/// What a file mutation did, for its event and the kept file list.
enum FileEvent {
    Written {
        path: String,
        etag: Option<String>,
    },
    Created {
        path: String,
        kind: FileKind,
    },
    Renamed {
        from: String,
        to: String,
        kind: FileKind,
    },
    Deleted {
        path: String,
        kind: FileKind,
    },
}

impl FileEvent {
    /// The paths whose entries in the kept file list change.
    fn touched(&self) -> Vec<String> {
        match self {
            FileEvent::Written { path, .. }
            | FileEvent::Created { path, .. }
            | FileEvent::Deleted { path, .. } => vec![path.clone()],
            FileEvent::Renamed { from, to, .. } => vec![from.clone(), to.clone()],
        }
    }

    /// The change with its target and its event.
    fn change(self, change: Change, app_id: &str) -> Change {
        let app_id = app_id.to_string();
        match self {
            FileEvent::Written { path, etag } => change
                .target(path.clone())
                .event(kind::FILES_WRITTEN, &FileWritten { app_id, path, etag }),
            FileEvent::Created { path, kind } => change
                .target(path.clone())
                .event(kind::FILES_CREATED, &FileTouched { app_id, path, kind }),
            FileEvent::Renamed { from, to, kind } => change.target(to.clone()).event(
                kind::FILES_RENAMED,
                &FileRenamed {
                    app_id,
                    from,
                    to,
                    kind,
                },
            ),
            FileEvent::Deleted { path, kind } => change
                .target(path.clone())
                .event(kind::FILES_DELETED, &FileTouched { app_id, path, kind }),
        }
    }
}
