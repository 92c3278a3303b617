//! The daemon's caches.

use refine_core::cache::{CacheCleared, CacheInput};
use refine_core::system::Empty;
use refine_model::cache::CacheInfo;
use refine_model::OperationReceipt;

use crate::registry::{Method::*, Op, OpDef};

pub const LIST: Op<Empty, Vec<CacheInfo>> = Op::query(
    "cache.list",
    Get,
    "/api/v1/cache",
    "Every cache the daemon keeps (files.index: each watched app's file list for name search; changes.diff: diffs between two commits) with entries, bytes, hits, misses and hit rate.",
    true,
);

pub const CLEAR: Op<CacheInput, CacheCleared> = Op::mutation(
    "cache.clear",
    Post,
    "/api/v1/cache/clear",
    "Empty one cache (`name`) or all; answers stay the same, the next ones are only slower. 404 for an unknown cache.",
    true,
);

pub const REBUILD: Op<CacheInput, OperationReceipt> = Op::long_running(
    "cache.rebuild",
    Post,
    "/api/v1/cache/rebuild",
    "Clear one cache (`name`) or all and fill it again with what it held (each watched app's file list, every kept diff), as an operation with progress.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        LIST.handle(
            |core, _, _| async move { Ok::<_, refine_model::ApiError>(core.list_caches()) },
        ),
        CLEAR.handle(|core, ctx, i| async move { core.cache_clear(&ctx, i).await }),
        REBUILD.handle(|core, ctx, i| async move { core.cache_rebuild(&ctx, i).await }),
    ]
}
