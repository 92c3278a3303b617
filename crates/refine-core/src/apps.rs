//! apps: the registry of target apps (validated Git work trees), their shape, the active app.

use crate::events::kind;
use refine_model::event::{AppSelected, IdRef};
use std::path::{Path, PathBuf};

use refine_host::{git, shape};
use refine_model::{ApiError, App, AppShape, OperationReceipt};
use refine_store::apps as table;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use specta::Type;

use crate::pipeline::OperationHandle;
use crate::{clock, new_id, Change, Core, Ctx, Mutated};

/// Register a Git work tree as a target app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddAppInput {
    /// Absolute path of the repository (a subdirectory resolves to its work tree root).
    pub path: String,
    /// Display name; defaults to the directory name.
    #[serde(default)]
    pub name: Option<String>,
}

/// Names one app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppIdInput {
    pub id: String,
}

/// Choose the active app; `null` detaches (no active app).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SelectAppInput {
    pub id: Option<String>,
}

/// The active app after a selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    pub active: Option<App>,
}

/// Check that `id` looks like one of our ids.
pub fn validate_id(what: &str, id: &str) -> Result<(), ApiError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::invalid(format!(
            "{what} id must be a UUID, got {:?}",
            truncate(id, 60)
        )));
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn validate_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "name must be 1-120 characters without control characters",
        ));
    }
    Ok(name.to_string())
}

/// Validate a path given for an app and resolve it to its canonical Git work tree root.
fn resolve_repo(raw: &str) -> Result<PathBuf, ApiError> {
    if raw.is_empty() {
        return Err(ApiError::invalid("path is required"));
    }
    if raw.contains('\0') {
        return Err(ApiError::invalid("path must not contain NUL bytes"));
    }
    if raw.len() > 4096 {
        return Err(ApiError::invalid("path is longer than 4096 bytes"));
    }
    let p = Path::new(raw);
    if !p.is_absolute() {
        return Err(ApiError::invalid(format!(
            "path must be absolute, got {raw:?}"
        )));
    }
    let canon = p
        .canonicalize()
        .map_err(|_| ApiError::invalid(format!("{raw} does not exist")))?;
    if !canon.is_dir() {
        return Err(ApiError::invalid(format!("{raw} is not a directory")));
    }
    let root = git::work_tree_root(&canon).map_err(|e| match e {
        git::GitError::Missing => {
            ApiError::unavailable("git is not installed; Refine needs it to manage apps")
        }
        other => ApiError::invalid(other.to_string()),
    })?;
    root.canonicalize()
        .map_err(|_| ApiError::invalid(format!("{} cannot be resolved", root.display())))
}

/// Apps looked up since the store's apps generation last changed (an app or the active app
/// was written): by id, and which one is active. Every request names its app or means the
/// active one, so this spares each a read off the executor.
#[derive(Default)]
pub(crate) struct AppsSeen(std::sync::Mutex<Seen>);

#[derive(Default)]
struct Seen {
    generation: u64,
    by_id: std::collections::HashMap<String, App>,
    /// The active app's id (`Some(None)`: none is active).
    active: Option<Option<String>>,
}

/// Apps kept at most (lookups of ids that exist only; more is a sign of churn, start over).
const APPS_SEEN: usize = 256;

impl AppsSeen {
    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The answer for `id` (None: the active app) if known under `generation`.
    fn get(&self, generation: u64, id: Option<&str>) -> Option<Option<App>> {
        let seen = self.lock();
        if seen.generation != generation {
            return None;
        }
        let id = match id {
            Some(id) => id,
            None => match seen.active.as_ref()? {
                Some(active) => active.as_str(),
                None => return Some(None),
            },
        };
        seen.by_id.get(id).cloned().map(Some)
    }

    /// Keep what was read under `generation` (read before the rows were).
    fn put(&self, generation: u64, id: Option<&str>, app: Option<&App>) {
        let mut seen = self.lock();
        if seen.generation != generation {
            *seen = Seen {
                generation,
                ..Seen::default()
            };
        }
        if id.is_none() {
            seen.active = Some(app.map(|a| a.id.clone()));
        }
        if let Some(app) = app {
            if seen.by_id.len() >= APPS_SEEN {
                seen.by_id.clear();
            }
            seen.by_id.insert(app.id.clone(), app.clone());
        }
    }
}

impl Core {
    /// Resolve the app a request is about: explicit id, else the context's, else the active app.
    pub async fn resolve_app(&self, ctx: &Ctx, explicit: Option<&str>) -> Result<App, ApiError> {
        let id = explicit.map(str::to_string).or_else(|| ctx.app_id.clone());
        if let Some(id) = &id {
            validate_id("app", id)?;
        }
        let generation = self.0.store.apps_generation();
        let found = match self.0.apps_seen.get(generation, id.as_deref()) {
            Some(known) => known,
            None => {
                let key = id.clone();
                let found = self
                    .read(move |c| match key {
                        Some(id) => table::get(c, &id),
                        None => match table::active_id(c)? {
                            Some(active) => table::get(c, &active),
                            None => Ok(None),
                        },
                    })
                    .await?;
                self.0
                    .apps_seen
                    .put(generation, id.as_deref(), found.as_ref());
                found
            }
        };
        found.ok_or_else(|| match explicit {
            Some(id) => ApiError::not_found(format!("no app with id {id}")),
            None => ApiError::precondition(
                "no app is selected; add one or select one first (refine apps select)",
            ),
        })
    }

    /// `apps.add`
    pub async fn apps_add(&self, ctx: &Ctx, input: AddAppInput) -> Result<Mutated<App>, ApiError> {
        let name = input.name.as_deref().map(validate_name).transpose()?;
        let path = input.path.clone();
        let prepare = async move {
            tokio::task::spawn_blocking(move || {
                let root = resolve_repo(&path)?;
                let shape = shape::detect(&root, |_| true);
                let branch = git::default_branch(&root);
                Ok::<_, ApiError>((root, shape, branch))
            })
            .await
            .map_err(|_| ApiError::internal("detection failed"))?
        };
        self.mutate(ctx, &input, prepare, move |tx, (root, shape, branch)| {
            let path = root.to_string_lossy().to_string();
            if let Some(existing) = table::find_by_path(tx, &path)? {
                return Err(ApiError::conflict(format!(
                    "{path} is already registered as app {:?} ({})",
                    existing.name, existing.id
                ))
                .with_details(json!({ "appId": existing.id })));
            }
            let now = clock::now();
            let dir_name = root
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| path.clone());
            let mut app = App {
                id: new_id(),
                name: name.unwrap_or(dir_name),
                path,
                default_branch: branch,
                shape,
                created_at: now.clone(),
                updated_at: now,
                active: false,
            };
            table::insert(tx, &app)?;
            // The first app becomes the active one: there is nothing else to work on.
            if table::active_id(tx)?.is_none() {
                refine_store::meta::set(tx, table::ACTIVE_KEY, &app.id)?;
                app.active = true;
            }
            let change = Change::new(format!("Added app {} ({})", app.name, app.path))
                .app(Some(app.id.clone()))
                .target(app.id.clone())
                .event(kind::APPS_ADDED, &app);
            Ok((app, change))
        })
        .await
    }

    /// `apps.list`
    pub async fn apps_list(&self) -> Result<Vec<App>, ApiError> {
        self.read(table::list).await
    }

    /// `apps.get`
    pub async fn apps_get(&self, input: AppIdInput) -> Result<App, ApiError> {
        validate_id("app", &input.id)?;
        let id = input.id.clone();
        self.read(move |c| table::get(c, &id))
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no app with id {}", input.id)))
    }

    /// `apps.delete`: forget an app (its repository is untouched).
    pub async fn apps_delete(
        &self,
        ctx: &Ctx,
        input: AppIdInput,
    ) -> Result<Mutated<App>, ApiError> {
        validate_id("app", &input.id)?;
        let id = input.id.clone();
        self.mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
            let app = table::get(tx, &id)?
                .ok_or_else(|| ApiError::not_found(format!("no app with id {id}")))?;
            table::delete(tx, &id)?;
            if app.active {
                refine_store::meta::delete(tx, table::ACTIVE_KEY)?;
            }
            let change = Change::new(format!(
                "Removed app {} ({}); its files are untouched",
                app.name, app.path
            ))
            .app(Some(app.id.clone()))
            .target(app.id.clone())
            .event(kind::APPS_REMOVED, &IdRef { id: app.id.clone() });
            Ok((app, change))
        })
        .await
        .inspect(|removed| self.unwatch_app(&removed.value.id))
    }

    /// `apps.select`
    pub async fn apps_select(
        &self,
        ctx: &Ctx,
        input: SelectAppInput,
    ) -> Result<Mutated<Selection>, ApiError> {
        if let Some(id) = &input.id {
            validate_id("app", id)?;
        }
        let id = input.id.clone();
        self.mutate(ctx, &input, async { Ok(()) }, move |tx, ()| {
            let active = match &id {
                Some(id) => {
                    let mut app = table::get(tx, id)?
                        .ok_or_else(|| ApiError::not_found(format!("no app with id {id}")))?;
                    refine_store::meta::set(tx, table::ACTIVE_KEY, id)?;
                    app.active = true;
                    Some(app)
                }
                None => {
                    refine_store::meta::delete(tx, table::ACTIVE_KEY)?;
                    None
                }
            };
            let summary = match &active {
                Some(a) => format!("Selected app {}", a.name),
                None => "Detached: no active app".to_string(),
            };
            let change = Change::new(summary)
                .app(active.as_ref().map(|a| a.id.clone()))
                .event(
                    kind::APPS_SELECTED,
                    &AppSelected {
                        id: active.as_ref().map(|a| a.id.clone()),
                    },
                );
            Ok((Selection { active }, change))
        })
        .await
    }

    /// `apps.rescan`: re-detect an app's shape as a long-running operation with progress.
    pub async fn apps_rescan(
        &self,
        ctx: &Ctx,
        input: AppIdInput,
    ) -> Result<Mutated<OperationReceipt>, ApiError> {
        let app = self.apps_get(input.clone()).await?;
        let change = Change::new(format!("Rescan of app {}", app.name))
            .app(Some(app.id.clone()))
            .target(app.id.clone());
        let core = self.clone();
        self.start_operation(ctx, &input, change, move |handle| async move {
            let shape = rescan(&handle, Path::new(&app.path)).await?;
            let root = PathBuf::from(&app.path);
            let branch = tokio::task::spawn_blocking(move || git::default_branch(&root))
                .await
                .unwrap_or(None);
            let id = app.id.clone();
            let shape2 = shape.clone();
            let updated = core
                .blocking(move |core| {
                    core.store()
                        .write(|tx| {
                            table::update_shape(
                                tx,
                                &id,
                                &shape2,
                                branch.as_deref(),
                                &clock::now(),
                            )?;
                            table::get(tx, &id)
                        })
                        .map_err(ApiError::from)
                })
                .await?
                .ok_or_else(|| ApiError::not_found("the app was removed during the rescan"))?;
            core.bus()
                .publish(kind::APPS_UPDATED, Some(updated.id.clone()), &updated);
            Ok(serde_json::to_value(&shape).unwrap_or_default())
        })
        .await
    }
}

async fn rescan(handle: &OperationHandle, root: &Path) -> Result<AppShape, ApiError> {
    if !root.is_dir() {
        return Err(ApiError::precondition(format!(
            "{} no longer exists",
            root.display()
        )));
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(8);
    let root2 = root.to_path_buf();
    let h2 = handle.clone();
    let total = {
        let r = root.to_path_buf();
        tokio::task::spawn_blocking(move || count_files(&r))
            .await
            .unwrap_or(0)
            .max(1)
    };
    let walk = tokio::task::spawn_blocking(move || {
        shape::detect(&root2, |seen| {
            let _ = tx.try_send(seen);
            !h2.is_cancelled()
        })
    });
    while let Some(seen) = rx.recv().await {
        let pct = ((seen as u64 * 100) / total as u64).min(99) as u32;
        handle
            .progress(pct, Some(format!("{seen} of ~{total} files")))
            .await;
    }
    let shape = walk
        .await
        .map_err(|_| ApiError::internal("detection failed"))?;
    if handle.is_cancelled() {
        return Err(OperationHandle::cancelled_error());
    }
    Ok(shape)
}

/// Rough total for progress: files the walk will see, capped at the detection limit.
fn count_files(root: &Path) -> u32 {
    ignore::WalkBuilder::new(root)
        .hidden(true)
        .require_git(false)
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .take(shape::FILE_LIMIT as usize)
        .count() as u32
}
