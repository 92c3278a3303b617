//! cache: every cache the daemon keeps — the file list per app (name search), diffs between two
//! commits — listed with entries, bytes and hit rate, cleared, and rebuilt as a long-running
//! operation. A cache only ever makes an answer faster: clearing one never changes an answer.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use refine_model::cache::CacheInfo;
use refine_model::{ApiError, OperationReceipt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::changes::Diff;
use crate::{Change, Core, Ctx, Mutated};

/// The caches by name, with what each keeps.
pub const CACHES: &[(&str, &str)] = &[
    (
        FILES_INDEX,
        "Each watched app's file list for name search (files.find), kept up to date by the file watcher",
    ),
    (
        CHANGES_DIFF,
        "Diffs between two commits (changes.diff with from and to): commits never change, so neither do their diffs",
    ),
    (
        WORKFLOW_FACTS,
        "Each app's open Goals as the start rules see them (workflow.eligible, the dashboard, the scheduler), patched from every committed change",
    ),
];
pub const FILES_INDEX: &str = "files.index";
pub const CHANGES_DIFF: &str = "changes.diff";
pub const WORKFLOW_FACTS: &str = "workflow.facts";

/// Diffs kept at most (and about how many bytes of them).
const DIFF_ENTRIES: usize = 256;
const DIFF_BYTES: usize = 64 * 1024 * 1024;

/// Which cache (default: all of them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CacheInput {
    #[serde(default)]
    pub name: Option<String>,
}

/// What a clear did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CacheCleared {
    pub caches: Vec<CacheInfo>,
    /// Entries dropped.
    pub dropped: u32,
}

/// Hits and misses of one cache.
#[derive(Default)]
pub(crate) struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Counters {
    pub(crate) fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }
    fn reset(&self) {
        self.hits.store(0, Ordering::Relaxed);
        self.misses.store(0, Ordering::Relaxed);
    }
    fn read(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

/// A diff between two commits of one repository: its root, both shas, the paths and context.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct DiffKey {
    pub root: PathBuf,
    pub from: String,
    pub to: String,
    pub paths: Vec<String>,
    pub context: u32,
}

/// Kept diffs with their size, and the sum of those sizes.
type Diffs = (lru::LruCache<DiffKey, (Arc<Diff>, usize)>, usize);

pub(crate) struct DiffCache {
    lru: Mutex<Diffs>,
    pub(crate) counters: Counters,
}

impl Default for DiffCache {
    fn default() -> Self {
        DiffCache {
            lru: Mutex::new((
                lru::LruCache::new(NonZeroUsize::new(DIFF_ENTRIES).expect("non-zero")),
                0,
            )),
            counters: Counters::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl DiffCache {
    pub(crate) fn get(&self, key: &DiffKey) -> Option<Arc<Diff>> {
        let found = lock(&self.lru).0.get(key).map(|(d, _)| d.clone());
        match &found {
            Some(_) => self.counters.hit(),
            None => self.counters.miss(),
        }
        found
    }

    pub(crate) fn put(&self, key: DiffKey, diff: Arc<Diff>) {
        let size: usize = diff
            .files
            .iter()
            .map(|f| f.path.len() + f.patch.len() + 64)
            .sum::<usize>()
            + 64;
        if size > DIFF_BYTES / 4 {
            return;
        }
        let mut g = lock(&self.lru);
        let (lru, bytes) = &mut *g;
        if let Some((_, (_, old))) = lru.push(key, (diff, size)) {
            *bytes -= old;
        }
        *bytes += size;
        while *bytes > DIFF_BYTES {
            match lru.pop_lru() {
                Some((_, (_, s))) => *bytes -= s,
                None => break,
            }
        }
    }

    fn stats(&self) -> (usize, usize) {
        let g = lock(&self.lru);
        (g.0.len(), g.1)
    }

    fn keys(&self) -> Vec<DiffKey> {
        lock(&self.lru).0.iter().map(|(k, _)| k.clone()).collect()
    }

    fn clear(&self) -> usize {
        let mut g = lock(&self.lru);
        let n = g.0.len();
        g.0.clear();
        g.1 = 0;
        self.counters.reset();
        n
    }
}

fn info(name: &str, entries: usize, bytes: usize, (hits, misses): (u64, u64)) -> CacheInfo {
    let doc = CACHES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| d.to_string())
        .unwrap_or_default();
    CacheInfo {
        name: name.to_string(),
        doc,
        entries: entries as u32,
        bytes: bytes as f64,
        hits: hits as f64,
        misses: misses as f64,
        hit_rate: (hits + misses > 0).then(|| hits as f64 / (hits + misses) as f64),
    }
}

impl Core {
    fn chosen_caches(name: &Option<String>) -> Result<Vec<&'static str>, ApiError> {
        match name {
            None => Ok(CACHES.iter().map(|(n, _)| *n).collect()),
            Some(n) => CACHES
                .iter()
                .find(|(c, _)| c == n)
                .map(|(c, _)| vec![*c])
                .ok_or_else(|| {
                    ApiError::not_found(format!(
                        "no cache named {n:?}; there are {}",
                        CACHES
                            .iter()
                            .map(|(c, _)| *c)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }),
        }
    }

    /// `cache.list`
    pub fn list_caches(&self) -> Vec<CacheInfo> {
        let (files_entries, files_bytes) = self.file_index_stats();
        let (diffs, diff_bytes) = self.0.diffs.stats();
        vec![
            info(
                FILES_INDEX,
                files_entries,
                files_bytes,
                self.0.file_index_counters.read(),
            ),
            info(
                CHANGES_DIFF,
                diffs,
                diff_bytes,
                self.0.diffs.counters.read(),
            ),
            {
                let (facts, bytes, counters) = self.0.store.goal_facts_stats();
                info(WORKFLOW_FACTS, facts, bytes, counters)
            },
        ]
    }

    fn clear_cache(&self, name: &str) -> usize {
        match name {
            FILES_INDEX => {
                let n = self.clear_file_indexes();
                self.0.file_index_counters.reset();
                n
            }
            CHANGES_DIFF => self.0.diffs.clear(),
            WORKFLOW_FACTS => self.0.store.forget_goal_facts(),
            _ => 0,
        }
    }

    /// `cache.clear`
    pub async fn cache_clear(
        &self,
        ctx: &Ctx,
        input: CacheInput,
    ) -> Result<Mutated<CacheCleared>, ApiError> {
        let names = Self::chosen_caches(&input.name)?;
        let core = self.clone();
        let what = input.name.clone().unwrap_or_else(|| "every cache".into());
        self.mutate(
            ctx,
            &input,
            async move { Ok(names.iter().map(|n| core.clear_cache(n)).sum::<usize>()) },
            {
                let core = self.clone();
                move |_, dropped| {
                    Ok((
                        CacheCleared {
                            caches: core.list_caches(),
                            dropped: dropped as u32,
                        },
                        Change::new(format!("Cleared {what} ({dropped} entries)")),
                    ))
                }
            },
        )
        .await
    }

    /// `cache.rebuild`: clear, then fill again what was kept (each watched app's file list;
    /// every diff that was cached), with progress.
    pub async fn cache_rebuild(
        &self,
        ctx: &Ctx,
        input: CacheInput,
    ) -> Result<Mutated<OperationReceipt>, ApiError> {
        let names = Self::chosen_caches(&input.name)?;
        let what = input.name.clone().unwrap_or_else(|| "every cache".into());
        let core = self.clone();
        self.start_operation(
            ctx,
            &input,
            Change::new(format!("Rebuilding {what}")),
            move |handle| async move {
                let apps = if names.contains(&FILES_INDEX) {
                    core.watched_apps()
                } else {
                    Vec::new()
                };
                let diffs = if names.contains(&CHANGES_DIFF) {
                    core.0.diffs.keys()
                } else {
                    Vec::new()
                };
                let fact_apps = if names.contains(&WORKFLOW_FACTS) {
                    core.read(refine_store::apps::list).await?
                } else {
                    Vec::new()
                };
                for n in &names {
                    core.clear_cache(n);
                }
                let total = (apps.len() + diffs.len() + fact_apps.len()).max(1);
                let mut done = 0usize;
                let mut rebuilt = 0u32;
                for app in apps {
                    if handle.is_cancelled() {
                        return Err(crate::pipeline::OperationHandle::cancelled_error());
                    }
                    let c = core.clone();
                    let name = app.name.clone();
                    let ok = tokio::task::spawn_blocking(move || c.rebuild_file_index(&app))
                        .await
                        .map_err(|_| ApiError::internal("rebuild task failed"))?;
                    if ok {
                        rebuilt += 1;
                    }
                    done += 1;
                    handle
                        .progress(
                            (done * 100 / total) as u32,
                            Some(format!("file list of {name}")),
                        )
                        .await;
                }
                for key in diffs {
                    if handle.is_cancelled() {
                        return Err(crate::pipeline::OperationHandle::cancelled_error());
                    }
                    let c = core.clone();
                    let shown = format!(
                        "diff {}..{}",
                        &key.from[..7.min(key.from.len())],
                        &key.to[..7.min(key.to.len())]
                    );
                    let ok =
                        tokio::task::spawn_blocking(move || c.compute_commit_diff(key).is_ok())
                            .await
                            .map_err(|_| ApiError::internal("rebuild task failed"))?;
                    if ok {
                        rebuilt += 1;
                    }
                    done += 1;
                    handle
                        .progress((done * 100 / total) as u32, Some(shown))
                        .await;
                }
                for app in fact_apps {
                    if handle.is_cancelled() {
                        return Err(crate::pipeline::OperationHandle::cancelled_error());
                    }
                    let c = core.clone();
                    let id = app.id.clone();
                    let ok = tokio::task::spawn_blocking(move || c.0.store.goal_facts(&id).is_ok())
                        .await
                        .map_err(|_| ApiError::internal("rebuild task failed"))?;
                    if ok {
                        rebuilt += 1;
                    }
                    done += 1;
                    handle
                        .progress(
                            (done * 100 / total) as u32,
                            Some(format!("open Goals of {}", app.name)),
                        )
                        .await;
                }
                Ok(serde_json::json!({ "rebuilt": rebuilt, "caches": core.list_caches() }))
            },
        )
        .await
    }
}
